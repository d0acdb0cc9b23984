package peer;

/**
 * The shared db-scheduler peer (../shared/peers/db-scheduler, {@code DbSchedulerPeer}, unchanged)
 * run twice in one JVM: the first run warms the JIT and is marked as a warm-up, the second is the
 * measured one (it truncates the table first, as every run does). Runplane's later phases find a JVM
 * that its earlier phases warmed; so does the peer's measured run. Args: those of DbSchedulerPeer.
 */
public final class WarmDbSchedulerPeer {
  public static void main(String[] args) throws Exception {
    System.out.println("(warm-up run follows)");
    DbSchedulerPeer.main(args);
    System.out.println("(measured run follows)");
    DbSchedulerPeer.main(args);
  }
}
