"""The IEEE 2030.5 PKI: SERCA/MCA/MICA chains, device and server certificates, LFDI/SFDI, TLS."""
