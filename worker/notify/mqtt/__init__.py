"""The MQTT publisher: dockwatch's state and notifications for Home Assistant.

``broker`` is one connection to the broker (publish, wait for the PUBACKs), ``topics`` names
every topic, ``state`` reads the retained state from the database, ``discovery`` writes Home
Assistant's device discovery, ``events`` turns notifications into messages and ``publisher``
runs the loop: the notification stream through its own consumer group, an entry acknowledged
only after the broker acknowledged what it caused, every retained topic republished on each
(re)connect.
"""
