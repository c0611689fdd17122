"""What the notifications service publishes to the other services: nothing, for now.

Deliveries and their attempts are this service's own business, read over its API
(``GET /deliveries``); no other service decides anything on them. Should one need to
(e.g. the DRC's dashboard counting failed deliveries), map the Delivery events here,
as registry/integration.py does, and add their contracts.
"""

from services.backbone.eventstore.application import Publications

publications = Publications()
