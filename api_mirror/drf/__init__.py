"""What upstream's framework (Django REST Framework, django-filter) does, done the same way:
parameters, values, pagination links, negotiation, format suffixes, the browsable page, the JSON
renderer.
"""
