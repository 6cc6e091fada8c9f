package dev.switchboard.bridge;

import java.util.List;
import java.util.Set;

/**
 * One direction's permissions. Nothing is allowed unless one of them allows it.
 */
public record Permissions(List<Permission> list) {

  public Permissions {
    list = List.copyOf(list);
  }

  /** Whether some permission allows sending or publishing {@code body} to {@code address}. */
  public boolean allows(String address, Object body, Set<String> authorities) {
    for (Permission permission : list) {
      if (permission.allowsAddress(address, authorities) && permission.allowsBody(body)) {
        return true;
      }
    }
    return false;
  }

  /**
   * What registering {@code address} may receive: {@link Delivery#NONE} when no permission allows
   * the address, {@link Delivery#ALL} when one allows it for every body, else
   * {@link Delivery#MATCHING} (each message is checked with {@link #allows}).
   */
  public Delivery delivery(String address, Set<String> authorities) {
    Delivery delivery = Delivery.NONE;
    for (Permission permission : list) {
      if (permission.allowsAddress(address, authorities)) {
        if (!permission.hasMatch()) {
          return Delivery.ALL;
        }
        delivery = Delivery.MATCHING;
      }
    }
    return delivery;
  }

  public enum Delivery { NONE, MATCHING, ALL }

  @Override
  public String toString() {
    return list.toString();
  }
}
