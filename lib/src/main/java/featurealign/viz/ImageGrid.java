package featurealign.viz;

import featurealign.io.AtomicFiles;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Image batches {@code [N,C,H,W]} (C = 1 or 3, values in [0,1], any float type) as one RGB picture, in the layout
 * of torchvision's {@code make_grid}: {@code nrow} images per row, {@code padding} black pixels around and between
 * cells, rows filled left to right, top to bottom. Grey images are drawn as grey RGB. Values are clipped to [0,1]
 * and mapped to bytes as {@code save_image} does ({@code floor(v·255 + 0.5)}); NaN is drawn black. Unlike
 * {@code make_grid}, a single image is padded too. {@code scale} enlarges the finished grid (padding included) by
 * pixel repetition, so 28×28 digits stay sharp when shown inline.
 */
public final class ImageGrid {

    /** torchvision's default padding, in source pixels. */
    public static final int DEFAULT_PADDING = 2;
    /** Refuse to build pictures above this many pixels (1 GiB of RGB ints) rather than fail deep inside AWT. */
    private static final long MAX_PIXELS = 1L << 28;
    private static final Color LABEL_COLOUR = Color.WHITE;

    private ImageGrid() {
    }

    /** {@link #grid(INDArray, int, int, int)} with padding 2 and scale 1. */
    public static BufferedImage grid(INDArray images, int nrow) {
        return grid(images, nrow, DEFAULT_PADDING, 1);
    }

    /**
     * @param images  {@code [N,C,H,W]}, N ≥ 1, C = 1 or 3, values in [0,1]
     * @param nrow    images per row (torchvision's name), ≥ 1; the grid has min(nrow, N) columns
     * @param padding black pixels around and between cells, ≥ 0 (before scaling)
     * @param scale   integer enlargement, ≥ 1
     * @return an RGB image of width {@code scale·(cols·(W+padding)+padding)} and height
     *         {@code scale·(rows·(H+padding)+padding)}, rows = ceil(N / nrow)
     */
    public static BufferedImage grid(INDArray images, int nrow, int padding, int scale) {
        Cells source = Cells.of("images", images);
        checkLayout(nrow, padding, scale);
        int columns = Math.min(nrow, source.count);
        int rows = ceilDiv(source.count, nrow);
        Canvas canvas = new Canvas(rows, columns, source.height, source.width, padding);
        for (int k = 0; k < source.count; k++) {
            canvas.draw(source, k, k / nrow, k % nrow);
        }
        return canvas.toImage(scale);
    }

    /**
     * Originals and their reconstructions in pairs of rows: row 2r shows originals {@code r·nrow … r·nrow+nrow−1},
     * row 2r+1 directly below shows the reconstructions of the same images, so each reconstruction sits under
     * its original.
     *
     * @param originals       {@code [N,C,H,W]}
     * @param reconstructions the same shape as {@code originals}
     * @param nrow            images per row, ≥ 1
     * @param padding         black pixels around and between cells, ≥ 0
     * @param scale           integer enlargement, ≥ 1
     * @return an RGB image with 2·ceil(N / nrow) rows of min(nrow, N) cells
     */
    public static BufferedImage sideBySide(INDArray originals, INDArray reconstructions, int nrow, int padding,
                                           int scale) {
        Cells top = Cells.of("originals", originals);
        Cells bottom = Cells.of("reconstructions", reconstructions);
        if (!Arrays.equals(originals.shape(), reconstructions.shape())) {
            throw new IllegalArgumentException("originals and reconstructions must have the same shape; got "
                    + Arrays.toString(originals.shape()) + " and " + Arrays.toString(reconstructions.shape()));
        }
        checkLayout(nrow, padding, scale);
        Canvas canvas = new Canvas(2 * ceilDiv(top.count, nrow), Math.min(nrow, top.count), top.height, top.width,
                padding);
        for (int k = 0; k < top.count; k++) {
            canvas.draw(top, k, 2 * (k / nrow), k % nrow);
            canvas.draw(bottom, k, 2 * (k / nrow) + 1, k % nrow);
        }
        return canvas.toImage(scale);
    }

    /**
     * A {@link #grid} with a text label left of each row (e.g. the class of a class-conditional row), white on
     * the black padding colour.
     *
     * @param rowLabels exactly ceil(N / nrow) labels, top to bottom
     */
    public static BufferedImage gridWithRowLabels(INDArray images, int nrow, int padding, int scale,
                                                  List<String> rowLabels) {
        Objects.requireNonNull(rowLabels, "rowLabels");
        BufferedImage grid = grid(images, nrow, padding, scale);
        int rows = ceilDiv((int) images.size(0), nrow);
        if (rowLabels.size() != rows) {
            throw new IllegalArgumentException("rowLabels must have one label per grid row: " + rows + " rows ("
                    + images.size(0) + " images, nrow " + nrow + ") but got " + rowLabels.size() + " labels");
        }
        int cellHeight = (int) images.size(2) * scale;
        int rowPitch = ((int) images.size(2) + padding) * scale;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(18, cellHeight * 2 / 5)));

        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D probeGraphics = probe.createGraphics();
        FontMetrics metrics = probeGraphics.getFontMetrics(font);
        int textWidth = rowLabels.stream().mapToInt(label -> metrics.stringWidth(String.valueOf(label))).max()
                .orElse(0);
        probeGraphics.dispose();
        int gap = Math.max(4, metrics.getHeight() / 3);
        int margin = textWidth + 2 * gap;

        BufferedImage labelled = new BufferedImage(margin + grid.getWidth(), grid.getHeight(),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = labelled.createGraphics();
        try {
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, labelled.getWidth(), labelled.getHeight());
            g.drawImage(grid, margin, 0, null);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(font);
            g.setColor(LABEL_COLOUR);
            for (int r = 0; r < rows; r++) {
                int centre = padding * scale + r * rowPitch + cellHeight / 2;
                int baseline = centre + (metrics.getAscent() - metrics.getDescent()) / 2;
                g.drawString(String.valueOf(rowLabels.get(r)), gap, baseline);
            }
        } finally {
            g.dispose();
        }
        return labelled;
    }

    /**
     * {@code image} under a title strip: bold white text on dark red, for a warning that must travel with the
     * picture (e.g. that it shows generated stand-in data). The result is at least as wide as the text.
     */
    public static BufferedImage titled(BufferedImage image, String title) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(title, "title");
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D probeGraphics = probe.createGraphics();
        FontMetrics metrics = probeGraphics.getFontMetrics(font);
        probeGraphics.dispose();
        int gap = 4;
        int strip = metrics.getHeight() + 2 * gap;
        int width = Math.max(image.getWidth(), metrics.stringWidth(title) + 2 * gap);
        BufferedImage out = new BufferedImage(width, strip + image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, out.getHeight());
            g.setColor(new Color(150, 0, 0));
            g.fillRect(0, 0, width, strip);
            g.drawImage(image, 0, strip, null);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(font);
            g.setColor(Color.WHITE);
            g.drawString(title, gap, gap + metrics.getAscent());
        } finally {
            g.dispose();
        }
        return out;
    }

    /**
     * Writes {@code image} as PNG, atomically (temporary file in the same directory, then rename); missing parent
     * directories are created.
     */
    public static void savePng(BufferedImage image, Path file) throws IOException {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(file, "file");
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer available for " + file);
            }
        });
    }

    // ---- internals -------------------------------------------------------------------------------------------

    private static void checkLayout(int nrow, int padding, int scale) {
        if (nrow < 1) {
            throw new IllegalArgumentException("nrow (images per row) must be >= 1, got " + nrow);
        }
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be >= 0 pixels, got " + padding);
        }
        if (scale < 1) {
            throw new IllegalArgumentException("scale must be >= 1, got " + scale);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** One image batch as packed float values, with its checked dimensions. */
    private static final class Cells {
        final float[] values;
        final int count, channels, height, width;

        private Cells(float[] values, int count, int channels, int height, int width) {
            this.values = values;
            this.count = count;
            this.channels = channels;
            this.height = height;
            this.width = width;
        }

        static Cells of(String name, INDArray images) {
            Objects.requireNonNull(images, name);
            if (images.rank() != 4) {
                throw new IllegalArgumentException(name + " must be [N,C,H,W] (rank 4); got shape "
                        + Arrays.toString(images.shape()));
            }
            long channels = images.size(1);
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException(name + " must have 1 (grey) or 3 (RGB) channels in dimension 1 "
                        + "of [N,C,H,W]; got shape " + Arrays.toString(images.shape()));
            }
            if (images.size(0) < 1 || images.size(2) < 1 || images.size(3) < 1) {
                throw new IllegalArgumentException(name + " must hold at least one non-empty image; got shape "
                        + Arrays.toString(images.shape()));
            }
            if (!images.dataType().isFPType()) {
                throw new IllegalArgumentException(name + " must be a floating-point array with values in [0,1]; "
                        + "got " + images.dataType());
            }
            if (images.length() > MAX_PIXELS) {
                throw new IllegalArgumentException(name + " " + Arrays.toString(images.shape())
                        + " is too large to draw");
            }
            // dup gives a packed C-order buffer whatever the input's strides.
            float[] values = images.castTo(DataType.FLOAT).dup('c').data().asFloat();
            return new Cells(values, (int) images.size(0), (int) channels, (int) images.size(2),
                    (int) images.size(3));
        }

        /** 0xRRGGBB of pixel (y, x) of image k. */
        int rgb(int k, int y, int x) {
            int plane = height * width;
            int at = k * channels * plane + y * width + x;
            int red = toByte(values[at]);
            if (channels == 1) {
                return red << 16 | red << 8 | red;
            }
            return red << 16 | toByte(values[at + plane]) << 8 | toByte(values[at + 2 * plane]);
        }

        private static int toByte(float value) {
            if (!(value > 0)) {
                return 0; // also NaN
            }
            return value >= 1 ? 255 : (int) (value * 255 + 0.5f);
        }
    }

    /** The unscaled grid picture: black background, cells at the make_grid positions. */
    private static final class Canvas {
        final int cellHeight, cellWidth, padding, width, height;
        final int[] pixels;

        Canvas(int rows, int columns, int cellHeight, int cellWidth, int padding) {
            this.cellHeight = cellHeight;
            this.cellWidth = cellWidth;
            this.padding = padding;
            long w = (long) columns * (cellWidth + padding) + padding;
            long h = (long) rows * (cellHeight + padding) + padding;
            if (w * h > MAX_PIXELS) {
                throw new IllegalArgumentException("the grid would be " + w + "x" + h + " pixels, above the "
                        + MAX_PIXELS + "-pixel limit; draw fewer images");
            }
            this.width = (int) w;
            this.height = (int) h;
            this.pixels = new int[width * height]; // 0 = black padding
        }

        void draw(Cells source, int k, int row, int column) {
            int top = padding + row * (cellHeight + padding);
            int left = padding + column * (cellWidth + padding);
            for (int y = 0; y < cellHeight; y++) {
                int rowStart = (top + y) * width + left;
                for (int x = 0; x < cellWidth; x++) {
                    pixels[rowStart + x] = source.rgb(k, y, x);
                }
            }
        }

        BufferedImage toImage(int scale) {
            long scaledPixels = (long) width * height * scale * scale;
            if (scaledPixels > MAX_PIXELS) {
                throw new IllegalArgumentException("the grid would be " + (long) width * scale + "x"
                        + (long) height * scale + " pixels at scale " + scale + ", above the " + MAX_PIXELS
                        + "-pixel limit; use a smaller scale");
            }
            BufferedImage image = new BufferedImage(width * scale, height * scale, BufferedImage.TYPE_INT_RGB);
            int[] target = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
            int targetWidth = width * scale;
            for (int y = 0; y < height * scale; y++) {
                int sourceRow = (y / scale) * width;
                int targetRow = y * targetWidth;
                for (int x = 0; x < targetWidth; x++) {
                    target[targetRow + x] = pixels[sourceRow + x / scale];
                }
            }
            return image;
        }
    }
}
