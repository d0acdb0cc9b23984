package dev.runplane.server.security;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.Lease;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.Step;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every RPC's answer for a key of every single scope (docs/security.md, "What an answer contains"):
 * the call is refused for lack of its scope, or it answers, and a caller without {@code read} never
 * receives data that it did not send itself. Other callers' data is marked {@code SECRET}; what the
 * caller sends is marked {@code MINE}. The one exception is Poll: a worker receives the execution
 * it claims, which is its work.
 */
class ScopedAnswersTest {

    private static TestServer server;
    /** A single-scope key per scope. */
    private static final Map<KeyScope, String> keys = new EnumMap<>(KeyScope.class);
    /** A running execution with every kind of data: inputs, labels, variables, message, steps. */
    private static String running;
    private static Lease runningLease;
    /** A finished one, with outputs too. */
    private static String finished;
    /** Leases that the work key claimed (executions with SECRET inputs), for Complete, Fail, CompleteBatch. */
    private static final List<Lease> workLeases = new ArrayList<>();

    private static final List<KeyScope> SCOPES = List.of(KeyScope.KEY_SCOPE_READ, KeyScope.KEY_SCOPE_RUN,
            KeyScope.KEY_SCOPE_WORK, KeyScope.KEY_SCOPE_ADMIN);

    /** One row per RPC: the scope it needs, and the call, answering the response's text. */
    enum Rpc {
        RUN(KeyScope.KEY_SCOPE_RUN) {
            @Override
            String call(String token) {
                return executions(token).run(mine("run")).toString();
            }
        },
        RUN_BATCH(KeyScope.KEY_SCOPE_RUN) {
            @Override
            String call(String token) {
                return executions(token).runBatch(RunBatchRequest.newBuilder().addRuns(mine("batch")).build()).toString();
            }
        },
        CANCEL(KeyScope.KEY_SCOPE_RUN) {
            @Override
            String call(String token) {
                return executions(token).cancel(CancelRequest.newBuilder().setId(running).setReason("MINE reason")
                        .build()).toString();
            }
        },
        RERUN(KeyScope.KEY_SCOPE_RUN) {
            @Override
            String call(String token) {
                return executions(token).rerun(RerunRequest.newBuilder().setId(finished).build()).toString();
            }
        },
        RERUN_WITH_INPUTS(KeyScope.KEY_SCOPE_RUN) {
            @Override
            String call(String token) {
                String answer = executions(token).rerun(RerunRequest.newBuilder().setId(finished)
                        .setInputs(struct("mine", "MINE inputs")).build()).toString();
                assertTrue(answer.contains("MINE inputs"), "a caller receives the inputs it sent: " + answer);
                return answer;
            }
        },
        GET_EXECUTION(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).getExecution(GetExecutionRequest.newBuilder().setId(running).build()).toString();
            }
        },
        SEARCH(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).search(SearchRequest.getDefaultInstance()).toString();
            }
        },
        LIST_EXECUTION_EVENTS(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(running)
                        .build()).toString();
            }
        },
        WATCH_EXECUTION(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).watchExecution(WatchExecutionRequest.newBuilder().setId(running).build())
                        .next().toString();
            }
        },
        WATCH_EXECUTIONS(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                var stream = Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), token)
                        .withDeadlineAfter(2, TimeUnit.SECONDS).watchExecutions(WatchExecutionsRequest.getDefaultInstance());
                try {
                    return stream.hasNext() ? stream.next().toString() : "";
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                        return ""; // accepted: nothing happened meanwhile
                    }
                    throw e;
                }
            }
        },
        LIST_QUEUES(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).listQueues(ListQueuesRequest.getDefaultInstance()).toString();
            }
        },
        LIST_WORKERS(KeyScope.KEY_SCOPE_READ) {
            @Override
            String call(String token) {
                return executions(token).listWorkers(ListWorkersRequest.getDefaultInstance()).toString();
            }
        },
        POLL(KeyScope.KEY_SCOPE_WORK) {
            @Override
            String call(String token) {
                return workers(token).poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("poll-only")
                        .setMaxWait(Durations.fromMillis(100)).build()).toString();
            }
        },
        HEARTBEAT(KeyScope.KEY_SCOPE_WORK) {
            @Override
            String call(String token) {
                return workers(token).heartbeat(HeartbeatRequest.newBuilder().setLease(runningLease)
                        .setMessage("MINE progress").build()).toString();
            }
        },
        COMPLETE(KeyScope.KEY_SCOPE_WORK) {
            @Override
            String call(String token) {
                return workers(token).complete(CompleteRequest.newBuilder().setLease(workLeases.get(0))
                        .setOutputs(struct("out", "MINE outputs")).build()).toString();
            }
        },
        FAIL(KeyScope.KEY_SCOPE_WORK) {
            @Override
            String call(String token) {
                return workers(token).fail(FailRequest.newBuilder().setLease(workLeases.get(1)).setError("MINE error")
                        .build()).toString();
            }
        },
        COMPLETE_BATCH(KeyScope.KEY_SCOPE_WORK) {
            @Override
            String call(String token) {
                return workers(token).completeBatch(CompleteBatchRequest.newBuilder().addCompletions(
                        CompleteRequest.newBuilder().setLease(workLeases.get(2))).build()).toString();
            }
        },
        LIST_KEYS(KeyScope.KEY_SCOPE_ADMIN) {
            @Override
            String call(String token) {
                return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), token)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).listKeys(ListKeysRequest.getDefaultInstance()).toString();
            }
        };

        final KeyScope scope;

        Rpc(KeyScope scope) {
            this.scope = scope;
        }

        abstract String call(String token);
    }

    static Stream<Arguments> table() {
        return Stream.of(Rpc.values()).flatMap(rpc -> SCOPES.stream().map(scope -> Arguments.of(rpc, scope)));
    }

    @BeforeAll
    static void start() {
        server = TestServer.start();
        // The loopback bootstrap (no key yet) makes the others' data.
        running = server.executions().run(secret("victim")).getExecution().getId();
        runningLease = claim("victim", 1).get(0).getLease();
        server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(runningLease).setMessage("SECRET message")
                .addSteps(Step.newBuilder().setName("SECRET-step").setStatus(dev.runplane.v1.StepStatus.STEP_STATUS_RUNNING).setMetrics(struct("m", "SECRET metric"))).build());
        finished = server.executions().run(secret("finished")).getExecution().getId();
        server.workers().complete(CompleteRequest.newBuilder().setLease(claim("finished", 1).get(0).getLease())
                .setOutputs(struct("o", "SECRET outputs")).setMessage("SECRET done").build());
        for (int i = 0; i < 3; i++) {
            server.executions().run(secret("work"));
        }
        server.executions().run(secret("poll-only"));
        String admin = createKey(null, KeyScope.KEY_SCOPE_ADMIN);
        for (KeyScope scope : SCOPES) {
            keys.put(scope, scope == KeyScope.KEY_SCOPE_ADMIN ? admin : createKey(admin, scope));
        }
        for (Assignment assignment : workers(keys.get(KeyScope.KEY_SCOPE_WORK)).poll(PollRequest.newBuilder()
                .setWorkerId("w").addPipelines("work").setMaxExecutions(3).setMaxWait(Durations.fromSeconds(5))
                .build()).getAssignmentsList()) {
            workLeases.add(assignment.getLease());
        }
        assertEquals(3, workLeases.size());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static List<Assignment> claim(String pipeline, int count) {
        List<Assignment> claimed = server.workers().poll(PollRequest.newBuilder().setWorkerId("w").addPipelines(pipeline)
                .setMaxExecutions(count).setMaxWait(Durations.fromSeconds(5)).build()).getAssignmentsList();
        assertEquals(count, claimed.size());
        return claimed;
    }

    private static String createKey(String adminToken, KeyScope scope) {
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .createKey(CreateKeyRequest.newBuilder().addScopes(scope).setDescription("scope table").build())
                .getToken();
    }

    static Struct struct(String key, String value) {
        return Struct.newBuilder().putFields(key, Value.newBuilder().setStringValue(value).build()).build();
    }

    /** A Run full of others' data. */
    private static RunRequest secret(String pipeline) {
        return RunRequest.newBuilder().setPipeline(pipeline).setInputs(struct("in", "SECRET inputs"))
                .putLabels("doc", "SECRET-label").setRequestId("SECRET-request-" + pipeline + System.nanoTime())
                .setDedupKey("SECRET-dedup-" + System.nanoTime())
                .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT)
                        .setVariables(struct("v", "SECRET variable")))
                .build();
    }

    /** A Run of the caller's own data. */
    private static RunRequest mine(String pipeline) {
        return RunRequest.newBuilder().setPipeline(pipeline).setInputs(struct("in", "MINE inputs"))
                .putLabels("doc", "MINE-label").build();
    }

    static ExecutionServiceGrpc.ExecutionServiceBlockingStub executions(String token) {
        return Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), token)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    static WorkerServiceGrpc.WorkerServiceBlockingStub workers(String token) {
        return Keys.withKey(WorkerServiceGrpc.newBlockingStub(server.channel()), token)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0} with a {1} key")
    @MethodSource("table")
    void aCallerWithoutReadReceivesOnlyWhatItSent(Rpc rpc, KeyScope scope) {
        String token = keys.get(scope);
        if (rpc.scope != scope) {
            StatusRuntimeException error = Errors.expect(Status.Code.PERMISSION_DENIED, () -> rpc.call(token));
            assertEquals("MISSING_SCOPE", Errors.errorInfo(error).orElseThrow().getReason());
            return;
        }
        String answer = rpc.call(token);
        if (scope == KeyScope.KEY_SCOPE_READ) {
            return; // read may see everything
        }
        if (rpc == Rpc.POLL) {
            assertTrue(answer.contains("SECRET inputs"), "a worker receives the execution it claims: " + answer);
            return;
        }
        assertFalse(answer.contains("SECRET"), "a " + scope + " key received others' data from " + rpc + ": " + answer);
        if (rpc == Rpc.RUN || rpc == Rpc.RUN_BATCH) {
            assertTrue(answer.contains("MINE inputs") && answer.contains("MINE-label"),
                    "a Run's answer has what it sent: " + answer);
        }
    }
}
