package org.sanctionsgraph.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Neo4j 5.26 Community, embedded in this process and served over Bolt, for the test suite and
 * the benchmarks of sanctions-graph.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* org.sanctionsgraph.testserver.TestServer HOME}.
 * The settings are {@code HOME/conf/neo4j.conf} (written by the caller: the Bolt address,
 * authentication, memory), the same file {@code neo4j-admin} reads with {@code NEO4J_CONF}, so a
 * database imported by {@code neo4j-admin database import full} into HOME is the one served here.
 * The password of the {@code neo4j} user comes from the environment variable
 * {@code NEO4J_TEST_PASSWORD}, never from the command line, and is never printed.
 *
 * <p>Once Bolt accepts connections the server prints one line, {@code READY}, on standard
 * output. It stops (and flushes the store) when its standard input closes, so it never outlives
 * the process that started it, or on SIGTERM.
 */
public final class TestServer {
    private TestServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: TestServer HOME (settings in HOME/conf/neo4j.conf)");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = home.resolve("conf").resolve("neo4j.conf");
        if (!Files.isRegularFile(conf)) {
            System.err.println("no settings file: " + conf);
            System.exit(2);
        }
        String password = System.getenv("NEO4J_TEST_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("NEO4J_TEST_PASSWORD must hold a password of 8 characters or more");
            System.exit(2);
        }

        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));

        try {
            setPassword(dbms.database("system"), password);
        } catch (RuntimeException e) {
            System.err.println("could not set the password of the neo4j user: " + e.getMessage());
            System.exit(1); // runs the shutdown hook: a server that cannot log in is no use
        }
        System.out.println("READY");
        System.out.flush();

        waitForEndOfInput(System.in);
        System.exit(0); // runs the shutdown hook
    }

    /** Sets the password; a restart on the same store with the same password keeps it. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        }
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // anything written to standard input is ignored; only its end matters
            }
        } catch (IOException e) {
            // a broken pipe means the parent is gone: stop as on end of input
        }
    }
}
