"""The OpenADR 3.1 VTN: REST API, OAuth2 client credentials, object privacy, notifiers.

``app`` (quart, thin routes) calls ``objects`` (the rules: scopes, privacy, references,
uniqueness, notifications) over ``openderms.server.store.crud.openadr``. ``auth`` issues and
checks tokens, ``notify`` queues webhook and MQTT notifications in the outbox with the
change, ``delivery`` sends them, ``topics`` names the MQTT topics.
"""
