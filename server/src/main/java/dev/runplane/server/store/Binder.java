package dev.runplane.server.store;

import io.r2dbc.spi.Statement;

/** Binds positional parameters, nulls included (R2DBC needs the type of a null). */
final class Binder {

    private final Statement statement;

    Binder(Statement statement) {
        this.statement = statement;
    }

    <T> Binder value(int index, T value, Class<T> type) {
        if (value == null) {
            statement.bindNull(index, type);
        } else {
            statement.bind(index, value);
        }
        return this;
    }
}
