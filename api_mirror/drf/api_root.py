"""Upstream's API root (``GET /2.2.0/``): DRF's ``DefaultRouter`` root view, ``APIRootView``.

The root answers one JSON object: each route the router registered (its prefix, such as
``config/launcher``) and the absolute url of its list, reversed as DRF's ``reverse`` writes it:
the request's ``?format=`` value carried (``…/agencies/?format=api``) and a format suffix
reversed into every url (``/2.2.0/.json`` lists ``…/agencies.json``).

The mirror lists every route upstream's 2.2.0 serves, as its published schema names them, with
``api-throttle`` (which the schema leaves out but upstream serves), in code-point order of the
prefix: no captured root answer was found to give the router's own order. A route the mirror
serves (``docking_event``, ``api-throttle``) links to the mirror; every other one to upstream,
as the docking events' nested urls do, so a client walking the root reaches all of them.
"""

from __future__ import annotations

from models.ll2.render import LinkStyle

# The prefixes of upstream's 2.2.0 routes (the generated 2.2.0 client's endpoint list, plus
# api-throttle), sorted by code point.
ROUTES_2_2_0 = tuple(
    sorted(
        [
            "agencies",
            "api-throttle",
            "astronaut",
            *(
                f"config/{name}"
                for name in (
                    "agencytype",
                    "astronautrole",
                    "astronautstatus",
                    "astronauttype",
                    "dockinglocation",
                    "eventtype",
                    "firststagetype",
                    "landinglocation",
                    "landingtype",
                    "launcher",
                    "launchstatus",
                    "missiontype",
                    "netprecision",
                    "noticetype",
                    "orbit",
                    "roadclosurestatus",
                    "spacecraft",
                    "spacecraftstatus",
                    "spacestationstatus",
                )
            ),
            "dashboard/starship",
            "docking_event",
            "event",
            "event/previous",
            "event/upcoming",
            "expedition",
            "launch",
            "launch/previous",
            "launch/upcoming",
            "launcher",
            "location",
            "mission_patch",
            "pad",
            "program",
            "spacecraft",
            "spacecraft/flight",
            "spacestation",
            "spacewalks",
            "updates",
        ]
    )
)
# The routes the mirror itself answers; the root links these to the mirror.
SERVED = frozenset({"docking_event", "api-throttle"})


def root_listing(
    mirror: LinkStyle, upstream: LinkStyle, routes: tuple[str, ...] = ROUTES_2_2_0
) -> dict[str, str]:
    """``{prefix: url}`` for ``routes`` in order: on ``mirror``'s base for the served ones, on
    ``upstream``'s for the rest, each written in the request's link style."""
    listing = {}
    for prefix in routes:
        style = mirror if prefix in SERVED else upstream
        listing[prefix] = style.link(f"{style.base}/{prefix}/")
    return listing
