package dev.switchboard.gateway;

import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.config.TlsOptions;
import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tls* settings: off by default, read back from their JSON, and each bad one named. */
class GatewayTlsOptionsTest {

  @Test
  void tlsIsOffByDefaultAndItsSettingsReadBack() {
    GatewayOptions defaults = GatewayOptions.fromJson(new JsonObject());
    assertFalse(defaults.tls().enabled());
    assertEquals(TlsOptions.OFF, defaults.tls().redirectPort());
    assertEquals("max-age=31536000", defaults.tls().hstsHeader());

    GatewayOptions on = GatewayOptions.fromJson(new JsonObject().put("tlsCert", "c.pem").put("tlsKey", "k.pem")
      .put("tlsRedirectPort", "8079").put("tlsPublicHost", "api.example.com").put("tlsProtocols", "TLSv1.3")
      .put("tlsHstsMaxAge", "1h").put("tlsHstsSubdomains", "true").put("tlsTcp", "false"));
    assertTrue(on.tls().enabled());
    assertEquals(8079, on.tls().redirectPort());
    assertEquals(List.of("TLSv1.3"), on.tls().protocols());
    assertEquals("max-age=3600; includeSubDomains", on.tls().hstsHeader());
    assertEquals(on, GatewayOptions.fromJson(on.toJson()), "toJson reads back");
    assertNull(GatewayOptions.fromJson(new JsonObject().put("tlsHstsMaxAge", 0)).tls().hstsHeader());
  }

  @Test
  void badTlsSettingsAreNamed() {
    for (Object[] bad : new Object[][] {
      {new JsonObject().put("tlsCert", "c.pem"), "gateway.tlsKey", "must be set together with tlsCert"},
      {new JsonObject().put("tlsKey", "k.pem"), "gateway.tlsCert", "must be set together with tlsKey"},
      {new JsonObject().put("tlsCert", "c").put("tlsKey", "k").put("tlsProtocols", "TLSv1.1"), "gateway.tlsProtocols", "older versions are not offered"},
      {new JsonObject().put("tlsRedirectPort", "8079"), "gateway.tlsRedirectPort", "needs tlsCert and tlsKey"},
      {new JsonObject().put("tlsCert", "c").put("tlsKey", "k").put("tlsRedirectPort", "soon"), "gateway.tlsRedirectPort", "or off"},
      {new JsonObject().put("tlsCert", "c").put("tlsKey", "k").put("tlsRedirectPort", 8080), "gateway.tlsRedirectPort", "already listens on"},
      {new JsonObject().put("tlsPublicHost", "evil.example.com/x"), "gateway.tlsPublicHost", "must be a host name"},
    }) {
      InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> GatewayOptions.fromJson((JsonObject) bad[0]),
        bad[0].toString());
      assertTrue(e.getMessage().contains((String) bad[1]) && e.getMessage().contains((String) bad[2]), e.getMessage());
    }
  }
}
