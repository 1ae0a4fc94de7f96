package featurealign.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads CelebA aligned-and-cropped faces ({@code img_align_celeba/*.jpg}, each exactly 178×218 RGB) with their
 * 40 attributes, split by the official partition.
 *
 * <p>Decoding strategy: a reader that decodes <em>only the requested images</em>, eagerly and in parallel
 * (all cores), into an ordinary in-memory {@link ImageSet}. Choose the rows first (a split, its first
 * {@code limit} images, or a seeded random sample), then decode; nothing is decoded up front and every decode
 * error surfaces at read time as a {@link DataFormatException} naming the file. Preprocessing: a centre crop of
 * {@code cropSize} px (default 140; 148 is the other common choice), then an area-averaging resize (an exact box
 * filter, like PIL's BOX / OpenCV's INTER_AREA) to {@code outputSize}² (default 64). The crop's top-left corner is
 * ((178 − crop) / 2, (218 − crop) / 2), rounded down.
 */
public final class CelebAReader {
    public static final int IMAGE_WIDTH = 178;
    public static final int IMAGE_HEIGHT = 218;
    private static final int MAX_JPEG_BYTES = 16 << 20;

    /** Centre crop side {@code cropSize} (1..178 px), then resize to {@code outputSize}² (1..1024 px). */
    public record Preprocessing(int cropSize, int outputSize) {
        /** 140 px centre crop, 64×64 output. */
        public static final Preprocessing DEFAULT = new Preprocessing(140, 64);
        /** 148 px centre crop, 64×64 output. */
        public static final Preprocessing CROP_148 = new Preprocessing(148, 64);

        public Preprocessing {
            if (cropSize < 1 || cropSize > IMAGE_WIDTH) {
                throw new IllegalArgumentException("cropSize must be in 1.." + IMAGE_WIDTH + " px, got " + cropSize);
            }
            if (outputSize < 1 || outputSize > 1024) {
                throw new IllegalArgumentException("outputSize must be in 1..1024 px, got " + outputSize);
            }
        }
    }

    private CelebAReader() {
    }

    /** Every image of a split (null = all images), default preprocessing. */
    public static ImageSet read(Path dir, Split split) throws DataFormatException {
        return read(dir, split, Preprocessing.DEFAULT, Integer.MAX_VALUE);
    }

    /** The first {@code limit} images of a split (null = all images) in file order. */
    public static ImageSet read(Path dir, Split split, Preprocessing preprocessing, int limit)
            throws DataFormatException {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be ≥ 0, got " + limit);
        }
        CelebAAnnotations annotations = CelebAAnnotations.read(dir);
        int[] rows = annotations.rows(split);
        if (limit < rows.length) {
            rows = java.util.Arrays.copyOf(rows, limit);
        }
        return decode(annotations, rows, preprocessing, setName(split, rows.length));
    }

    /** {@code n} images drawn at random (seeded, without replacement) from a split, in file order. */
    public static ImageSet readRandom(Path dir, Split split, Preprocessing preprocessing, int n, long seed)
            throws DataFormatException {
        CelebAAnnotations annotations = CelebAAnnotations.read(dir);
        int[] all = annotations.rows(split);
        int[] picked = ImageSet.sampleIndices(all.length, n, seed);
        int[] rows = new int[n];
        for (int k = 0; k < n; k++) {
            rows[k] = all[picked[k]];
        }
        return decode(annotations, rows, preprocessing, setName(split, n) + " random seed " + seed);
    }

    private static String setName(Split split, int n) {
        return "celeba " + (split == null ? "all" : split.label()) + " (" + n + " images)";
    }

    /**
     * Decodes the given annotation rows in parallel into a set of 3×size×size images with the 40 attributes
     * (no class labels) and the file names as item names.
     */
    public static ImageSet decode(CelebAAnnotations annotations, int[] rows, Preprocessing preprocessing, String name)
            throws DataFormatException {
        int size = preprocessing.outputSize();
        int imageBytes = 3 * size * size;
        int n = rows.length;
        for (int r : rows) {
            java.util.Objects.checkIndex(r, annotations.size());
        }
        byte[][] chunks = ImageSet.allocateChunks(n, imageBytes);
        int perChunk = ImageSet.imagesPerChunk(imageBytes);
        AtomicReferenceArray<DataFormatException> errors = new AtomicReferenceArray<>(n);
        IntStream.range(0, n).parallel().forEach(k -> {
            try {
                byte[] image = decodeImage(annotations.imageFile(rows[k]), preprocessing);
                System.arraycopy(image, 0, chunks[k / perChunk], (k % perChunk) * imageBytes, imageBytes);
            } catch (DataFormatException e) {
                errors.set(k, e);
            }
        });
        for (int k = 0; k < n; k++) {
            if (errors.get(k) != null) {
                throw errors.get(k); // the first failing image in row order, whatever the thread timing
            }
        }
        byte[][] attributes = new byte[n][];
        String[] names = new String[n];
        for (int k = 0; k < n; k++) {
            attributes[k] = annotations.attributeRow(rows[k]).clone();
            names[k] = annotations.fileName(rows[k]);
        }
        return ImageSet.builder(name + " (" + annotations.directory() + ")", 3, size, size)
                .pixelChunks(chunks, perChunk, n)
                .attributes(attributes, annotations.attributeNames())
                .itemNames(names)
                .build();
    }

    /**
     * Decodes one aligned CelebA JPEG (must be 178×218 RGB) and returns the cropped, resized image as CHW bytes
     * (length 3·outputSize²).
     */
    public static byte[] decodeImage(Path file, Preprocessing preprocessing) throws DataFormatException {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_JPEG_BYTES) {
                throw new DataFormatException(file, "is " + Files.size(file) + " bytes; an aligned CelebA JPEG is"
                        + " about 10 KB (limit " + MAX_JPEG_BYTES + ")");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "image file not found", e);
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFormatException(file, "could not read (" + e + ")", e);
        }
        if (bytes.length < 2 || (bytes[0] & 0xff) != 0xff || (bytes[1] & 0xff) != 0xd8) {
            throw new DataFormatException(file, "not a JPEG: expected the bytes FF D8 at the start");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no JPEG decoder (javax.imageio)");
        }
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(input, true, true);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            // Check the header's size before decoding, so a corrupt header cannot make the decoder allocate a huge raster.
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width != IMAGE_WIDTH || height != IMAGE_HEIGHT) {
                throw new DataFormatException(file, "expected a " + IMAGE_WIDTH + "×" + IMAGE_HEIGHT
                        + " RGB image (aligned CelebA), found " + width + "×" + height);
            }
            BufferedImage image = reader.read(0);
            if (!warnings.isEmpty()) {
                throw new DataFormatException(file, "corrupt JPEG data (decoder warning: " + warnings.get(0) + ")");
            }
            ColorModel model = image.getColorModel();
            if (model.getNumComponents() != 3 || model.hasAlpha()
                    || model.getColorSpace().getType() != ColorSpace.TYPE_RGB) {
                throw new DataFormatException(file, "expected an RGB image (3 channels), found "
                        + model.getNumComponents() + " channel(s)" + (model.hasAlpha() ? " with alpha" : ""));
            }
            if (image.getWidth() != IMAGE_WIDTH || image.getHeight() != IMAGE_HEIGHT) {
                throw new DataFormatException(file, "decoded to " + image.getWidth() + "×" + image.getHeight()
                        + ", expected " + IMAGE_WIDTH + "×" + IMAGE_HEIGHT);
            }
            int[] argb = image.getRGB(0, 0, IMAGE_WIDTH, IMAGE_HEIGHT, null, 0, IMAGE_WIDTH);
            return cropResize(argb, IMAGE_WIDTH, IMAGE_HEIGHT, preprocessing.cropSize(), preprocessing.outputSize());
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // javax.imageio reports corrupt streams with IIOException and, on some inputs, runtime exceptions.
            throw new DataFormatException(file, "could not decode JPEG (" + e + ")", e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Centre crop of side {@code crop} from a packed-ARGB image, then area-averaging resize to size×size; returns
     * CHW bytes (R plane, G plane, B plane).
     */
    static byte[] cropResize(int[] argb, int width, int height, int crop, int size) {
        int top = (height - crop) / 2;
        int left = (width - crop) / 2;
        Box box = new Box(crop, size);
        byte[] out = new byte[3 * size * size];
        float[] rowsResized = new float[crop * size];
        for (int channel = 0; channel < 3; channel++) {
            int shift = 16 - 8 * channel;
            // Horizontal pass: each source row of the crop → size columns.
            for (int y = 0; y < crop; y++) {
                int rowStart = (top + y) * width + left;
                for (int ox = 0; ox < size; ox++) {
                    float sum = 0;
                    for (int t = box.start[ox]; t < box.start[ox + 1]; t++) {
                        sum += box.weight[t] * ((argb[rowStart + box.source[t]] >>> shift) & 0xff);
                    }
                    rowsResized[y * size + ox] = sum;
                }
            }
            // Vertical pass.
            int planeOffset = channel * size * size;
            for (int oy = 0; oy < size; oy++) {
                for (int ox = 0; ox < size; ox++) {
                    float sum = 0;
                    for (int t = box.start[oy]; t < box.start[oy + 1]; t++) {
                        sum += box.weight[t] * rowsResized[box.source[t] * size + ox];
                    }
                    int value = Math.round(sum);
                    out[planeOffset + oy * size + ox] = (byte) Math.max(0, Math.min(255, value));
                }
            }
        }
        return out;
    }

    /** Box-filter taps: output o averages source pixels over [o·s, (o+1)·s), s = in/out, weighted by overlap. */
    private static final class Box {
        final int[] start;
        final int[] source;
        final float[] weight;

        Box(int in, int out) {
            double scale = (double) in / out;
            start = new int[out + 1];
            List<int[]> taps = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            for (int o = 0; o < out; o++) {
                start[o] = taps.size();
                double lo = o * scale;
                double hi = (o + 1) * scale;
                for (int s = (int) Math.floor(lo); s < Math.min(in, (int) Math.ceil(hi)); s++) {
                    double overlap = Math.min(s + 1, hi) - Math.max(s, lo);
                    if (overlap > 1e-9) {
                        taps.add(new int[]{s});
                        weights.add(overlap / scale);
                    }
                }
            }
            start[out] = taps.size();
            source = new int[taps.size()];
            weight = new float[taps.size()];
            for (int t = 0; t < taps.size(); t++) {
                source[t] = taps.get(t)[0];
                weight[t] = weights.get(t).floatValue();
            }
        }
    }
}
