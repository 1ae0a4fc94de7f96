package featurealign.nn;

import java.util.Arrays;

/**
 * The shape of one sample, without the batch dimension: {@code [C,H,W]} for images and feature maps, {@code [D]} for
 * vectors. Immutable.
 */
public record Shape(int... dims) {

    public Shape {
        if (dims.length == 0) throw new IllegalArgumentException("a shape needs at least one dimension");
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive, got " + Arrays.toString(dims));
        }
        dims = dims.clone();
    }

    public static Shape image(int channels, int height, int width) { return new Shape(channels, height, width); }

    public static Shape vector(int size) { return new Shape(size); }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    @Override public int[] dims() { return dims.clone(); }

    /** Number of values in one sample. */
    public long size() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    public boolean isImage() { return dims.length == 3; }

    /** The shape with a leading batch dimension, as ND4J wants it. */
    public long[] withBatch(long batch) {
        long[] s = new long[dims.length + 1];
        s[0] = batch;
        for (int i = 0; i < dims.length; i++) s[i + 1] = dims[i];
        return s;
    }

    /** Checks that an array's per-sample shape is this one, naming {@code what} in the error. */
    public void requireMatches(long[] batchedShape, String what) {
        boolean ok = batchedShape.length == dims.length + 1;
        for (int i = 0; ok && i < dims.length; i++) ok = batchedShape[i + 1] == dims[i];
        if (!ok) {
            throw new IllegalArgumentException(what + ": expected shape [batch," + join() + "], got "
                    + Arrays.toString(batchedShape));
        }
    }

    private String join() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : ",").append(dims[i]);
        return b.toString();
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return "[" + join() + "]"; }
}
