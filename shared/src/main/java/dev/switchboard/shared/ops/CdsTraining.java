package dev.switchboard.shared.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.jar.JarFile;

/**
 * The training run of an image's class data sharing archive: starts the service of the jar it is
 * loaded from as the image starts it ({@code -cluster}, one instance), and once the service is
 * deployed stops it as the orchestrator does, with SIGTERM, so that the JVM exits normally and
 * writes the archive it was asked for:
 *
 * <pre>{@code
 * java -XX:ArchiveClassesAtExit=/app/app.jsa -cp /app/app.jar dev.switchboard.shared.ops.CdsTraining
 * }</pre>
 *
 * The archive then holds every class a start loaded (the launcher, Vert.x, Netty, Hazelcast, the
 * service), parsed and verified, and a JVM started with {@code -XX:SharedArchiveFile} maps it instead
 * of loading them again. The classpath must be the same string at run time ({@code -jar /app/app.jar}
 * gives {@code /app/app.jar}); a JVM that cannot use the archive says so and loads the classes itself.
 */
public final class CdsTraining {

  private static final Logger log = LoggerFactory.getLogger(CdsTraining.class);
  /** As the image's default command, with one instance: every class is loaded by the first. */
  private static final String[] SERVICE_ARGS = {"-cluster", "-instances", "1"};

  private CdsTraining() {
  }

  public static void main(String[] args) throws Exception {
    String mainClass = mainClassOfThisJar();
    log.info("class data sharing: training on {} {}", mainClass, String.join(" ", SERVICE_ARGS));
    Method main = Class.forName(mainClass).getMethod("main", String[].class);
    // Returns once the service is deployed; exits the JVM non-zero if it cannot start.
    main.invoke(null, (Object) SERVICE_ARGS.clone());
    // The service's own SIGTERM handler drains, leaves the cluster and exits 0: the JVM's normal
    // exit, at which it writes the archive.
    Signal.raise(new Signal("TERM"));
  }

  private static String mainClassOfThisJar() throws IOException, URISyntaxException {
    Path jar = Path.of(CdsTraining.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (JarFile file = new JarFile(jar.toFile())) {
      String name = file.getManifest() == null ? null : file.getManifest().getMainAttributes().getValue("Main-Class");
      if (name == null || name.isBlank()) {
        throw new IllegalStateException(jar + " names no Main-Class in its manifest");
      }
      return name;
    }
  }
}
