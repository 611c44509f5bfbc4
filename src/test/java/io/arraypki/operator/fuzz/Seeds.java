package io.arraypki.operator.fuzz;

/** A fixed certificate for the parsers that compare input with one (pins). No key goes with it. */
final class Seeds {
  static final String CERTIFICATE = "-----BEGIN CERTIFICATE-----\n"
      + "MIIBjTCCATOgAwIBAgIUURUoNMbQCXyPDgR/z74HtX5eiYwwCgYIKoZIzj0EAwIw\n"
      + "GzEZMBcGA1UEAwwQc2VlZC5leGFtcGxlLmNvbTAgFw0yNjExMjIxODE0MzhaGA8y\n"
      + "MTI2MTAyOTE4MTQzOFowGzEZMBcGA1UEAwwQc2VlZC5leGFtcGxlLmNvbTBZMBMG\n"
      + "ByqGSM49AgEGCCqGSM49AwEHA0IABI0bHrcQSPoWIkmzUdmXDUgd9Q7e0pPZ1CMi\n"
      + "GtPnyiRejqR8cQJ6sHVIVlzFFYzgWxEARfcZNb32pt0awTHPJPWjUzBRMB0GA1Ud\n"
      + "DgQWBBQb9aA8WVPkw3gZt17BtnHR8fJurzAfBgNVHSMEGDAWgBQb9aA8WVPkw3gZ\n"
      + "t17BtnHR8fJurzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQD2\n"
      + "LsJZBRaaw0u8kYEqOTA7iv3FNLzqtpBcftSymyC0RQIgdez5yXeiK+AEMw/22Ivp\n"
      + "7NbvFByq4hEvCV07VDGrQzQ=\n"
      + "-----END CERTIFICATE-----\n";

  private Seeds() {}
}
