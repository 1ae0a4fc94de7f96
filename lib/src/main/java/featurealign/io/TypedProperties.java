package featurealign.io;

import java.util.Arrays;
import java.util.Properties;

/**
 * Typed reading of a settings file's properties, with errors that name the source, the key and what was expected
 * ({@code "run config: steps = 'x', expected an integer"}). Run configs and judge files read their settings here.
 *
 * @param source what the messages call the settings ("run config", "config.properties")
 */
public record TypedProperties(String source, Properties p) {

    /** The value of {@code k}, trimmed. */
    public String str(String k) {
        String v = p.getProperty(k);
        if (v == null) throw new IllegalArgumentException(source + ": missing setting '" + k + "'");
        return v.trim();
    }

    /** Throws the error for a value of {@code k} that is not {@code expected}. */
    public <T> T fail(String k, String expected) {
        throw new IllegalArgumentException(source + ": " + k + " = '" + p.getProperty(k) + "', expected " + expected);
    }

    public int i(String k) {
        try { return Integer.parseInt(str(k)); } catch (NumberFormatException e) { return fail(k, "an integer"); }
    }

    public long l(String k) {
        try { return Long.parseLong(str(k)); } catch (NumberFormatException e) { return fail(k, "an integer"); }
    }

    public double d(String k) {
        try { return Double.parseDouble(str(k)); } catch (NumberFormatException e) { return fail(k, "a number"); }
    }

    public boolean bool(String k) {
        String v = str(k);
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        return fail(k, "true or false");
    }

    /** Comma-separated integers (at least one). */
    public int[] ints(String k) {
        try {
            return Arrays.stream(str(k).split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            return fail(k, "comma-separated integers");
        }
    }

    /** Settings added after files were first written: absent in older ones, which ran without them. */
    public int iOr(String k, int absent) { return p.getProperty(k) == null ? absent : i(k); }

    public double dOr(String k, double absent) { return p.getProperty(k) == null ? absent : d(k); }

    public boolean boolOr(String k, boolean absent) { return p.getProperty(k) == null ? absent : bool(k); }

    public <E extends Enum<E>> E enumerationOr(String k, Class<E> type, E absent) {
        return p.getProperty(k) == null ? absent : enumeration(k, type);
    }

    public <E extends Enum<E>> E enumeration(String k, Class<E> type) {
        try { return Enum.valueOf(type, str(k)); } catch (IllegalArgumentException e) {
            return fail(k, "one of " + Arrays.toString(type.getEnumConstants()));
        }
    }

    /** Integers as {@link #ints} reads them. */
    public static String join(int... v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : ",").append(v[i]);
        return b.toString();
    }
}
