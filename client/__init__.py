"""Site gateway: 2030.5 client, event engine, envelope, optimizer, dispatcher, devices."""
