package peer;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The db-scheduler peer (../shared/peers/db-scheduler) with its producers scheduling in batches
 * ({@code SchedulerClient.scheduleBatch}, one JDBC batch per call) instead of one task per call: the
 * peer's side of Runplane's RunBatch phases, so that both sides submit work the fastest way they can.
 * Everything else (table, indexes, pool, polling, lock-and-fetch) is as in the shared peer.
 * Args: JDBC_URL N THREADS PRODUCERS SCHEDULE_BATCH [warm-up]. With {@code warm-up} it first runs
 * the same N unmeasured in the same JVM (as Runplane's later phases find a JVM that earlier phases
 * warmed), then the measured run on an emptied table.
 */
public final class DbSchedulerBatchPeer {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    int n = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]), producers = Integer.parseInt(args[3]);
    int batch = Integer.parseInt(args[4]);
    boolean warmUp = args.length > 5 && args[5].equals("warm-up");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(threads + producers + 2);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      if (warmUp) { // the same run once, unmeasured, so that the measured one finds a warm JVM
        System.out.println("(warm-up) " + run(ds, n, threads, producers, batch));
      }
      System.out.println(run(ds, n, threads, producers, batch));
    }
  }

  /** One run on an emptied table: its figures. */
  private static String run(HikariDataSource ds, int n, int threads, int producers, int batch) throws Exception {
    try (var c = ds.getConnection(); var s = c.createStatement()) {
      s.execute(DDL);
      s.execute("truncate scheduled_tasks");
    }
    AtomicInteger done = new AtomicInteger();
    OneTimeTask<Void> task = Tasks.oneTime("noop").execute((instance, ctx) -> done.incrementAndGet());
    Scheduler scheduler = Scheduler.create(ds, task).threads(threads)
        .pollingInterval(Duration.ofMillis(100)).enableImmediateExecution()
        .pollUsingLockAndFetch(0.5, 3.0).build();
    scheduler.start();
    long t0 = System.nanoTime();
    var pool = Executors.newFixedThreadPool(producers);
    for (int p = 0; p < producers; p++) {
      final int first = p;
      pool.submit(() -> {
        List<TaskInstance<?>> instances = new ArrayList<>(batch);
        for (int i = first; i < n; i += producers) {
          instances.add(task.instance("i" + i));
          if (instances.size() == batch) {
            scheduler.scheduleBatch(instances, Instant.now());
            instances.clear();
          }
        }
        if (!instances.isEmpty()) scheduler.scheduleBatch(instances, Instant.now());
      });
    }
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.MINUTES);
    long t1 = System.nanoTime();
    while (done.get() < n) Thread.sleep(5);
    long t2 = System.nanoTime();
    scheduler.stop();
    return String.format("db-scheduler lock-and-fetch scheduleBatch(%d) n=%d threads=%d producers=%d schedule=%.0f/s end-to-end=%.0f/s",
        batch, n, threads, producers, n / ((t1 - t0) / 1e9), n / ((t2 - t0) / 1e9));
  }

  private static final String DDL = """
      create table if not exists scheduled_tasks (
        task_name text not null, task_instance text not null, task_data bytea,
        execution_time timestamp with time zone not null, picked boolean not null, picked_by text,
        last_success timestamp with time zone, last_failure timestamp with time zone,
        consecutive_failures int, last_heartbeat timestamp with time zone, version bigint not null,
        priority smallint, primary key (task_name, task_instance));
      create index if not exists execution_time_idx on scheduled_tasks (execution_time);
      create index if not exists last_heartbeat_idx on scheduled_tasks (last_heartbeat);
      create index if not exists priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
      """;
}
