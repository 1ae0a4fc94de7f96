package featurealign.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An in-memory set of N images with C channels of H×W pixels, kept as unsigned bytes (0–255) in NCHW order,
 * with optional class labels (ids 0..classCount-1, or -1 for "none") and optional ±1 attribute vectors
 * (e.g. CelebA's 40 attributes).
 *
 * <p>Immutable. {@link #subset}, {@link #first} and {@link #randomSubset} return views that share the pixel
 * storage (no copy). Pixels are stored in chunks of at most 1 GiB so that sets larger than one Java array
 * (e.g. CelebA at 64×64) fit. Index arguments always mean positions in <em>this</em> set, 0..size()-1.
 */
public final class ImageSet {
    private static final long CHUNK_BYTES = 1L << 30;
    private static final float[] UNIT_FLOAT = new float[256];
    private static final double[] UNIT_DOUBLE = new double[256];

    static {
        for (int v = 0; v < 256; v++) {
            UNIT_FLOAT[v] = v / 255f;
            UNIT_DOUBLE[v] = v / 255.0;
        }
    }

    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final int imageBytes;
    private final byte[][] chunks;
    private final int imagesPerChunk;
    /** Base index of each position, or null for the identity. */
    private final int[] rows;
    private final int size;
    /** Indexed by base index. */
    private final int[] labels;
    private final List<String> classNames;
    private final byte[][] attributes;
    private final List<String> attributeNames;
    private final String[] itemNames;

    private ImageSet(String name, int channels, int height, int width, byte[][] chunks, int imagesPerChunk,
                     int[] rows, int size, int[] labels, List<String> classNames, byte[][] attributes,
                     List<String> attributeNames, String[] itemNames) {
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.imageBytes = channels * height * width;
        this.chunks = chunks;
        this.imagesPerChunk = imagesPerChunk;
        this.rows = rows;
        this.size = size;
        this.labels = labels;
        this.classNames = classNames;
        this.attributes = attributes;
        this.attributeNames = attributeNames;
        this.itemNames = itemNames;
    }

    /** Starts a set of {@code channels}×{@code height}×{@code width} images named {@code name} (for messages). */
    public static Builder builder(String name, int channels, int height, int width) {
        return new Builder(name, channels, height, width);
    }

    /** How many images fit in one storage chunk for images of {@code imageBytes} bytes. */
    static int imagesPerChunk(int imageBytes) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE - 16L, CHUNK_BYTES / imageBytes));
    }

    /** Name and source of this set, used in messages (e.g. "mnist train (…/train-images-idx3-ubyte)"). */
    public String name() {
        return name;
    }

    public int size() {
        return size;
    }

    public int channels() {
        return channels;
    }

    /** Image height in pixels. */
    public int height() {
        return height;
    }

    /** Image width in pixels. */
    public int width() {
        return width;
    }

    /** Bytes per image, C·H·W. */
    public int imageBytes() {
        return imageBytes;
    }

    /** Class id of image {@code i}, or -1 when the set (or that image) has no class label. */
    public int label(int i) {
        int base = base(i);
        return labels == null ? -1 : labels[base];
    }

    /** True when the set carries class labels. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** Number of classes (e.g. 10 for MNIST), 0 when the set has no class labels. */
    public int classCount() {
        return labels == null ? 0 : classNames.size();
    }

    /** Names of the classes, index = class id; empty when unlabelled. */
    public List<String> classNames() {
        return classNames;
    }

    /** Images per class in this set: {@code counts[k]} = number of images with label k (length classCount()). */
    public int[] labelCounts() {
        int[] counts = new int[classCount()];
        for (int i = 0; i < size; i++) {
            int label = label(i);
            if (label >= 0) {
                counts[label]++;
            }
        }
        return counts;
    }

    /** True when the set carries ±1 attribute vectors. */
    public boolean hasAttributes() {
        return attributes != null;
    }

    /** Attribute names (e.g. CelebA's 40), empty when the set has none. */
    public List<String> attributeNames() {
        return attributeNames;
    }

    /** A copy of image {@code i}'s attribute vector, values +1 or -1. */
    public byte[] attributes(int i) {
        if (attributes == null) {
            throw new IllegalStateException(name + " has no attributes");
        }
        return attributes[base(i)].clone();
    }

    /** Attribute vectors of the given images as a [n, attributeCount] array of ±1 in {@code dtype}. */
    public INDArray attributesMatrix(int[] indices, DataType dtype) {
        if (attributes == null) {
            throw new IllegalStateException(name + " has no attributes");
        }
        int count = attributeNames.size();
        float[] values = new float[checkedProduct(indices.length, count, "attribute matrix")];
        for (int k = 0; k < indices.length; k++) {
            byte[] row = attributes[base(indices[k])];
            for (int a = 0; a < count; a++) {
                values[k * count + a] = row[a];
            }
        }
        return Nd4j.create(values, new long[]{indices.length, count}, 'c').castTo(dtype);
    }

    /** The source item name of image {@code i} (e.g. "000001.jpg"), or "#i" when the set has none. */
    public String itemName(int i) {
        int base = base(i);
        return itemNames == null ? "#" + base : itemNames[base];
    }

    /** Pixel value 0–255 of image {@code i}, channel {@code c}, row {@code y}, column {@code x}. */
    public int pixel(int i, int c, int y, int x) {
        Objects.checkIndex(c, channels);
        Objects.checkIndex(y, height);
        Objects.checkIndex(x, width);
        int base = base(i);
        return chunks[base / imagesPerChunk][(base % imagesPerChunk) * imageBytes + (c * height + y) * width + x]
                & 0xff;
    }

    /** A copy of image {@code i}'s bytes in CHW order (length imageBytes()). */
    public byte[] pixels(int i) {
        byte[] out = new byte[imageBytes];
        copyImage(base(i), out, 0);
        return out;
    }

    private void copyImage(int base, byte[] dst, int offset) {
        System.arraycopy(chunks[base / imagesPerChunk], (base % imagesPerChunk) * imageBytes, dst, offset, imageBytes);
    }

    /** The positions 0..size()-1. */
    public int[] allIndices() {
        int[] all = new int[size];
        Arrays.setAll(all, k -> k);
        return all;
    }

    /** A view of the given positions, in the given order (repeats allowed). */
    public ImageSet subset(int[] indices) {
        return subset(indices, name + " [subset of " + indices.length + "]");
    }

    private ImageSet subset(int[] indices, String subsetName) {
        int[] newRows = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            newRows[k] = base(indices[k]);
        }
        return new ImageSet(subsetName, channels, height, width, chunks, imagesPerChunk, newRows, newRows.length,
                labels, classNames, attributes, attributeNames, itemNames);
    }

    /** A view of the first {@code n} images; {@code n} must be in 0..size(). */
    public ImageSet first(int n) {
        if (n < 0 || n > size) {
            throw new IllegalArgumentException("first(n): n must be in 0.." + size + " for " + name + ", got " + n);
        }
        int[] indices = new int[n];
        Arrays.setAll(indices, k -> k);
        return subset(indices, name + " [first " + n + "]");
    }

    /**
     * A view of {@code n} distinct images drawn without replacement, deterministic for (size, n, seed), in
     * ascending position order.
     */
    public ImageSet randomSubset(int n, long seed) {
        return subset(sampleIndices(size, n, seed), name + " [random " + n + ", seed " + seed + "]");
    }

    /**
     * {@code n} distinct positions out of 0..size-1, drawn without replacement (seeded partial Fisher–Yates),
     * returned in ascending order.
     */
    public static int[] sampleIndices(int size, int n, long seed) {
        if (n < 0 || n > size) {
            throw new IllegalArgumentException("sample size n must be in 0.." + size + ", got " + n);
        }
        int[] pool = new int[size];
        Arrays.setAll(pool, k -> k);
        SplittableRandom random = new SplittableRandom(seed);
        for (int k = 0; k < n; k++) {
            int j = k + random.nextInt(size - k);
            int t = pool[k];
            pool[k] = pool[j];
            pool[j] = t;
        }
        int[] chosen = Arrays.copyOf(pool, n);
        Arrays.sort(chosen);
        return chosen;
    }

    /** All images as float32 [size, C, H, W] in [0, 1] (pixel/255). */
    public INDArray toFloatNCHW() {
        return toFloatNCHW(allIndices());
    }

    /** The given images as float32 [n, C, H, W] in [0, 1] (pixel/255). */
    public INDArray toFloatNCHW(int[] indices) {
        float[] values = new float[checkedProduct(indices.length, imageBytes, "image batch")];
        byte[] image = new byte[imageBytes];
        for (int k = 0; k < indices.length; k++) {
            copyImage(base(indices[k]), image, 0);
            int offset = k * imageBytes;
            for (int p = 0; p < imageBytes; p++) {
                values[offset + p] = UNIT_FLOAT[image[p] & 0xff];
            }
        }
        return Nd4j.create(values, new long[]{indices.length, channels, height, width}, 'c');
    }

    /** The given images as float64 [n, C, H, W] in [0, 1] (pixel/255). */
    public INDArray toDoubleNCHW(int[] indices) {
        double[] values = new double[checkedProduct(indices.length, imageBytes, "image batch")];
        byte[] image = new byte[imageBytes];
        for (int k = 0; k < indices.length; k++) {
            copyImage(base(indices[k]), image, 0);
            int offset = k * imageBytes;
            for (int p = 0; p < imageBytes; p++) {
                values[offset + p] = UNIT_DOUBLE[image[p] & 0xff];
            }
        }
        return Nd4j.create(values, new long[]{indices.length, channels, height, width}, 'c');
    }

    /** The given images as [n, C, H, W] in [0, 1] in any floating {@code dtype} (FLOAT, DOUBLE, HALF, ...). */
    public INDArray toNCHW(int[] indices, DataType dtype) {
        if (dtype == DataType.FLOAT) {
            return toFloatNCHW(indices);
        }
        if (dtype == DataType.DOUBLE) {
            return toDoubleNCHW(indices);
        }
        if (!dtype.isFPType()) {
            throw new IllegalArgumentException("dtype must be a floating type, got " + dtype);
        }
        return toFloatNCHW(indices).castTo(dtype);
    }

    /** One-hot float32 labels [n, classes] of the given images; every label must be in 0..classes-1. */
    public INDArray labelsOneHot(int[] indices, int classes) {
        return labelsOneHot(indices, classes, DataType.FLOAT);
    }

    /** One-hot labels [n, classes] in {@code dtype}; every label must be in 0..classes-1. */
    public INDArray labelsOneHot(int[] indices, int classes, DataType dtype) {
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        float[] values = new float[checkedProduct(indices.length, classes, "one-hot matrix")];
        for (int k = 0; k < indices.length; k++) {
            int label = label(indices[k]);
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException(name + ": image at position " + indices[k] + " has label "
                        + label + ", outside 0.." + (classes - 1) + (labels == null ? " (the set is unlabelled)" : ""));
            }
            values[k * classes + label] = 1f;
        }
        INDArray out = Nd4j.create(values, new long[]{indices.length, classes}, 'c');
        return dtype == DataType.FLOAT ? out : out.castTo(dtype);
    }

    @Override
    public String toString() {
        return name + ": " + size + " images, " + channels + "×" + height + "×" + width
                + (labels != null ? ", " + classCount() + " classes" : "")
                + (attributes != null ? ", " + attributeNames.size() + " attributes" : "");
    }

    private int base(int i) {
        Objects.checkIndex(i, size);
        return rows == null ? i : rows[i];
    }

    private static int checkedProduct(long a, long b, String what) {
        long product = a * b;
        if (product > DataFiles.MAX_ARRAY) {
            throw new IllegalArgumentException(what + " of " + a + " × " + b + " values exceeds one Java array;"
                    + " use fewer indices per call");
        }
        return (int) product;
    }

    /** Assembles an {@link ImageSet}; every array is checked against the declared sizes on {@link #build()}. */
    public static final class Builder {
        private final String name;
        private final int channels;
        private final int height;
        private final int width;
        private byte[][] chunks;
        private int chunkImages = -1;
        private int count = -1;
        private int[] labels;
        private List<String> classNames = List.of();
        private byte[][] attributes;
        private List<String> attributeNames = List.of();
        private String[] itemNames;

        private Builder(String name, int channels, int height, int width) {
            this.name = Objects.requireNonNull(name, "name");
            if (channels <= 0 || height <= 0 || width <= 0 || (long) channels * height * width > DataFiles.MAX_ARRAY) {
                throw new IllegalArgumentException(name + ": image shape must be positive and fit one array, got C="
                        + channels + " H=" + height + " W=" + width);
            }
            this.channels = channels;
            this.height = height;
            this.width = width;
        }

        /** Pixels of all images, NCHW bytes, length a multiple of C·H·W (and ≤ one chunk, 1 GiB). */
        public Builder pixels(byte[] nchw) {
            int imageBytes = channels * height * width;
            if (nchw.length % imageBytes != 0) {
                throw new IllegalArgumentException(name + ": pixel array length " + nchw.length
                        + " is not a multiple of C·H·W = " + imageBytes);
            }
            int n = nchw.length / imageBytes;
            if (n > imagesPerChunk(imageBytes)) {
                throw new IllegalArgumentException(name + ": " + n + " images exceed one chunk; use pixelChunks");
            }
            this.chunks = new byte[][]{nchw};
            this.chunkImages = Math.max(1, n);
            this.count = n;
            return this;
        }

        /**
         * Pixels in chunks of exactly {@code imagesPerChunk} images each (the last may hold fewer), as made by readers
         * of large sets (see {@link ImageSet#allocateChunks}).
         */
        Builder pixelChunks(byte[][] pixelChunks, int imagesPerChunk, int imageCount) {
            if (imagesPerChunk < 1) {
                throw new IllegalArgumentException(name + ": imagesPerChunk must be ≥ 1, got " + imagesPerChunk);
            }
            this.chunks = pixelChunks;
            this.chunkImages = imagesPerChunk;
            this.count = imageCount;
            return this;
        }

        /** Class ids (-1 = none) with the class names; index = class id. */
        public Builder labels(int[] classIds, List<String> names) {
            this.labels = classIds;
            this.classNames = List.copyOf(names);
            return this;
        }

        /** ±1 attribute vectors, one row per image, with the attribute names. */
        public Builder attributes(byte[][] values, List<String> names) {
            this.attributes = values;
            this.attributeNames = List.copyOf(names);
            return this;
        }

        /** Source item names (e.g. file names), one per image. */
        public Builder itemNames(String[] names) {
            this.itemNames = names;
            return this;
        }

        public ImageSet build() {
            if (chunks == null) {
                throw new IllegalStateException(name + ": pixels not set");
            }
            int imageBytes = channels * height * width;
            int perChunk = chunkImages;
            if (chunks.length != Math.max(1, (count + (long) perChunk - 1) / perChunk)) {
                throw new IllegalArgumentException(name + ": " + chunks.length + " pixel chunks for " + count
                        + " images of " + perChunk + " per chunk");
            }
            long capacity = 0;
            for (int c = 0; c < chunks.length; c++) {
                int expected = (int) Math.min(perChunk, count - (long) c * perChunk);
                if (chunks[c] == null || chunks[c].length != (long) expected * imageBytes) {
                    throw new IllegalArgumentException(name + ": pixel chunk " + c + " should hold " + expected
                            + " images");
                }
                capacity += expected;
            }
            if (capacity != count) {
                throw new IllegalArgumentException(name + ": pixel chunks hold " + capacity + " images, expected " + count);
            }
            if (labels != null) {
                if (labels.length != count) {
                    throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + count + " images");
                }
                for (int i = 0; i < count; i++) {
                    if (labels[i] < -1 || labels[i] >= classNames.size()) {
                        throw new IllegalArgumentException(name + ": label of image " + i + " is " + labels[i]
                                + ", expected -1 or 0.." + (classNames.size() - 1));
                    }
                }
            }
            if (attributes != null) {
                if (attributes.length != count) {
                    throw new IllegalArgumentException(name + ": " + attributes.length + " attribute rows for "
                            + count + " images");
                }
                for (int i = 0; i < count; i++) {
                    if (attributes[i].length != attributeNames.size()) {
                        throw new IllegalArgumentException(name + ": attribute row " + i + " has "
                                + attributes[i].length + " values, expected " + attributeNames.size());
                    }
                    for (byte v : attributes[i]) {
                        if (v != 1 && v != -1) {
                            throw new IllegalArgumentException(name + ": attribute row " + i + " holds " + v
                                    + ", expected +1 or -1");
                        }
                    }
                }
            }
            if (itemNames != null && itemNames.length != count) {
                throw new IllegalArgumentException(name + ": " + itemNames.length + " item names for " + count
                        + " images");
            }
            return new ImageSet(name, channels, height, width, chunks, perChunk, null, count, labels,
                    labels == null ? List.of() : classNames, attributes,
                    attributes == null ? List.of() : attributeNames, itemNames);
        }
    }

    /** Splits {@code count} images of {@code imageBytes} bytes into chunk arrays as {@link Builder} expects. */
    static byte[][] allocateChunks(int count, int imageBytes) {
        int perChunk = imagesPerChunk(imageBytes);
        int chunkCount = count == 0 ? 1 : (int) ((count + (long) perChunk - 1) / perChunk);
        List<byte[]> list = new ArrayList<>(chunkCount);
        for (int c = 0; c < chunkCount; c++) {
            int images = (int) Math.min(perChunk, count - (long) c * perChunk);
            list.add(new byte[images * imageBytes]);
        }
        return list.toArray(new byte[0][]);
    }
}
