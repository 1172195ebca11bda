"""The IEEE 2030.5 PKI: SERCA/MCA/MICA chains, device and server certificates, LFDI/SFDI, TLS.

Modules:

- :mod:`~openderms.certs.identity` LFDI, SFDI and :class:`DeviceIdentity` of a certificate;
- :mod:`~openderms.certs.pki` a test PKI on disk (``openderms certs init|device``);
- :mod:`~openderms.certs.builders` pure certificate builders (tests make odd ones here);
- :mod:`~openderms.certs.tls` TLS contexts for both ends (the server's hypercorn adapter is
  :mod:`openderms.server.hypercorn_tls`, so this package imports no web server);
- :mod:`~openderms.certs.oids`, :mod:`~openderms.certs.hardware` the 2030.5 certificate profile;
  :mod:`~openderms.certs.profile` checks a device certificate against it;
- :mod:`~openderms.certs.errors` typed errors; :mod:`~openderms.certs.cli` the CLI verbs.
"""
