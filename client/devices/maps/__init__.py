"""Built-in device maps (YAML, package data). Load them with
:func:`openderms.client.devices.device_map.load_builtin_map`."""
