"""What people watch live: the notification fan-out for Server-Sent Events and the live page."""
