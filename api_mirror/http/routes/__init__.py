"""HTTP route handlers: the upstream-compatible docking-event routes and the operator routes."""
