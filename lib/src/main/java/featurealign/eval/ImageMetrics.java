package featurealign.eval;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.Objects;

/**
 * Full-reference image quality between two image batches of the same shape {@code [N,C,H,W]} with values on the
 * scale [0,1] (data range 1.0; values are used as given, not clipped). Every metric is computed in double precision
 * whatever the input data type, one value per image, with the mean over images as a convenience.
 *
 * <ul>
 *   <li>MSE: mean of squared differences over the {@code C·H·W} values of an image.</li>
 *   <li>PSNR in dB for data range 1: {@code 10·log10(1 / MSE)}; {@link Double#POSITIVE_INFINITY} when the images
 *       are identical (MSE 0).</li>
 *   <li>SSIM (Wang et al. 2004) as scikit-image's {@code structural_similarity(gaussian_weights=True, sigma=1.5,
 *       use_sample_covariance=False, data_range=1)}: Gaussian window 11×11 with σ = 1.5, K1 = 0.01, K2 = 0.03,
 *       averaged over the positions where the window fits inside the image (a 5-pixel border is left out), then
 *       over channels. Needs H, W ≥ 11.</li>
 * </ul>
 */
public final class ImageMetrics {

    private static final double SIGMA = 1.5;
    private static final int RADIUS = 5; // skimage: int(truncate 3.5 * sigma + 0.5)
    private static final double C1 = 0.01 * 0.01; // (K1·L)² with L = 1
    private static final double C2 = 0.03 * 0.03; // (K2·L)²
    private static final double[] GAUSSIAN = gaussianWeights();
    /** Images converted to double at a time: bounds the temporary memory for large evaluation sets. */
    private static final int IMAGES_PER_BLOCK = 256;

    /**
     * The usual summary of a reconstruction.
     *
     * @param images        N, the number of image pairs
     * @param meanMse       mean over images of the per-image MSE
     * @param psnrOfMeanMse PSNR (dB) of {@code meanMse}; +∞ only if every pair is identical
     * @param meanPsnr      mean over images of the per-image PSNR (dB); +∞ if any one pair is identical
     * @param meanSsim      mean over images of the per-image SSIM
     */
    public record Summary(int images, double meanMse, double psnrOfMeanMse, double meanPsnr, double meanSsim) {
    }

    private ImageMetrics() {
    }

    /**
     * @return per-image MSE, length N
     * @throws IllegalArgumentException if the inputs are not rank 4 or their shapes differ
     */
    public static double[] mse(INDArray images, INDArray references) {
        double[] result = new double[checkPair(images, references)];
        forEachImage(images, references, (index, a, b, offset, channels, height, width) -> {
            int values = channels * height * width;
            double sum = 0;
            for (int i = offset; i < offset + values; i++) {
                double d = a[i] - b[i];
                sum += d * d;
            }
            result[index] = sum / values;
        });
        return result;
    }

    /** @return the mean over images of the per-image MSE (equal to the MSE over all values, as images share a size) */
    public static double meanMse(INDArray images, INDArray references) {
        return mean(mse(images, references));
    }

    /** @return per-image PSNR in dB for data range 1 ({@code +∞} for identical images), length N */
    public static double[] psnr(INDArray images, INDArray references) {
        return Arrays.stream(mse(images, references)).map(ImageMetrics::psnrFromMse).toArray();
    }

    /** @return the PSNR in dB of {@link #meanMse}, the usual "dataset PSNR" ({@code +∞} if all images match) */
    public static double psnrOfMeanMse(INDArray images, INDArray references) {
        return psnrFromMse(meanMse(images, references));
    }

    /**
     * @param mse a mean squared error for data range 1, ≥ 0
     * @return {@code 10·log10(1 / mse)} in dB; {@code +∞} for 0
     */
    public static double psnrFromMse(double mse) {
        if (!(mse >= 0)) {
            throw new IllegalArgumentException("mse must be >= 0, got " + mse);
        }
        return mse == 0 ? Double.POSITIVE_INFINITY : -10 * Math.log10(mse);
    }

    /**
     * @return per-image SSIM (mean over channels), length N; 1 for identical images
     * @throws IllegalArgumentException also if H or W is smaller than the 11-pixel window
     */
    public static double[] ssim(INDArray images, INDArray references) {
        double[] result = new double[checkPair(images, references)];
        long height = images.size(2);
        long width = images.size(3);
        if (height < 2 * RADIUS + 1 || width < 2 * RADIUS + 1) {
            throw new IllegalArgumentException("SSIM needs images of at least 11x11 pixels (the Gaussian window); "
                    + "got H=" + height + ", W=" + width);
        }
        forEachImage(images, references, (index, a, b, offset, channels, h, w) -> {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                sum += ssimOfPlane(a, b, offset + c * h * w, h, w);
            }
            result[index] = sum / channels;
        });
        return result;
    }

    /** @return the mean over images of {@link #ssim} */
    public static double meanSsim(INDArray images, INDArray references) {
        return mean(ssim(images, references));
    }

    /** @return MSE, PSNR (of the mean MSE, and the mean of per-image values) and SSIM, each averaged over images */
    public static Summary summarize(INDArray images, INDArray references) {
        double[] mse = mse(images, references);
        double meanMse = mean(mse);
        double meanPsnr = mean(Arrays.stream(mse).map(ImageMetrics::psnrFromMse).toArray());
        return new Summary(mse.length, meanMse, psnrFromMse(meanMse), meanPsnr, meanSsim(images, references));
    }

    /**
     * How much images differ from each other: the mean over pixels of their standard deviation across the set
     * (population form), in pixel units; 0 when every image is the same (a collapsed sampler, or one that always
     * draws the mean image). Compare it with the value of real images of the same data set.
     *
     * @param images {@code [N,C,H,W]}, N ≥ 2
     */
    public static double spread(INDArray images) {
        if (images.rank() != 4 || images.size(0) < 2) {
            throw new IllegalArgumentException("spread needs [N,C,H,W] images with N >= 2, got " + Arrays.toString(images.shape()));
        }
        // castTo returns the array itself when it is already double: only the copy may be closed.
        INDArray d = images.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        try (INDArray std = d.std(false, 0)) {
            return std.meanNumber().doubleValue();
        } finally {
            if (d != images) d.close();
        }
    }

    /**
     * Gradient energy of an image set: the mean over images, channels and pixel pairs of the squared difference between
     * horizontally and vertically adjacent pixels (pixels in [0,1]). Blur lowers it, noise raises it; alone it means
     * little, so compare sets with {@link #sharpnessRatio}.
     */
    public static double sharpness(INDArray images) {
        if (images.rank() != 4 || images.size(0) < 1 || images.size(2) < 2 || images.size(3) < 2) {
            throw new IllegalArgumentException("sharpness needs [N,C,H,W] images with H, W >= 2, got " + Arrays.toString(images.shape()));
        }
        int n = (int) images.size(0), c = (int) images.size(1), h = (int) images.size(2), w = (int) images.size(3);
        double[] v = images.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        double sum = 0;
        long pairs = 0;
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double p = v[base + y * w + x];
                    if (x + 1 < w) { double d = v[base + y * w + x + 1] - p; sum += d * d; pairs++; }
                    if (y + 1 < h) { double d = v[base + (y + 1) * w + x] - p; sum += d * d; pairs++; }
                }
            }
        }
        return sum / pairs;
    }

    /** {@link #sharpness} of {@code images} over that of {@code real}: 1 = as sharp as real images, below 1 = blurrier. */
    public static double sharpnessRatio(INDArray images, INDArray real) {
        double r = sharpness(real);
        if (!(r > 0)) throw new IllegalArgumentException("the real images are flat (sharpness 0): no ratio to them");
        return sharpness(images) / r;
    }

    /** Mean of each channel over all images and pixels of {@code [N,C,H,W]} images. */
    public static double[] channelMeans(INDArray images) {
        if (images.rank() != 4) throw new IllegalArgumentException("channel means need [N,C,H,W] images, got " + Arrays.toString(images.shape()));
        // castTo returns the array itself when it is already double: only the copy may be closed.
        INDArray d = images.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        try (INDArray m = d.mean(0, 2, 3)) {
            return m.toDoubleVector();
        } finally {
            if (d != images) d.close();
        }
    }

    /**
     * Colourfulness of RGB images {@code [N,3,H,W]} in [0,1] (Hasler and Süsstrunk, 2003), the mean over images of
     * {@code σ + 0.3·μ}, where over an image's pixels rg = R − G, yb = ½(R + G) − B, σ = √(σ_rg² + σ_yb²) and
     * μ = √(μ_rg² + μ_yb²). 0 for grey images; patches of saturated colour raise it where channel means can stay put.
     */
    public static double colourfulness(INDArray images) {
        if (images.rank() != 4 || images.size(1) != 3 || images.size(0) < 1) {
            throw new IllegalArgumentException("colourfulness needs [N,3,H,W] RGB images, got " + Arrays.toString(images.shape()));
        }
        int n = (int) images.size(0), p = (int) (images.size(2) * images.size(3));
        double[] v = images.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        double total = 0;
        for (int i = 0; i < n; i++) {
            int r = i * 3 * p, g = r + p, b = g + p;
            double sRg = 0, sYb = 0, qRg = 0, qYb = 0;
            for (int j = 0; j < p; j++) {
                double rg = v[r + j] - v[g + j], yb = 0.5 * (v[r + j] + v[g + j]) - v[b + j];
                sRg += rg; sYb += yb; qRg += rg * rg; qYb += yb * yb;
            }
            double mRg = sRg / p, mYb = sYb / p;
            double varRg = Math.max(0, qRg / p - mRg * mRg), varYb = Math.max(0, qYb / p - mYb * mYb);
            total += Math.sqrt(varRg + varYb) + 0.3 * Math.sqrt(mRg * mRg + mYb * mYb);
        }
        return total / n;
    }

    /** {@link #colourfulness} of {@code images} over that of {@code real}: 1 = as colourful as real images. */
    public static double colourfulnessRatio(INDArray images, INDArray real) {
        double r = colourfulness(real);
        if (!(r > 0)) throw new IllegalArgumentException("the real images are grey (colourfulness 0): no ratio to them");
        return colourfulness(images) / r;
    }

    /** The largest absolute difference between two equally long vectors. */
    public static double maxAbsDifference(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }

    /** Per-channel means as "(0.531, 0.402, 0.339)". */
    public static String formatMeans(double[] means) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < means.length; i++) b.append(i == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.3f", means[i]));
        return b.append(")").toString();
    }

    // ---- SSIM of one channel -------------------------------------------------------------------------------

    /** Mean SSIM map of one H×W plane starting at {@code offset}, over the window centres 5 pixels from the border. */
    private static double ssimOfPlane(double[] x, double[] y, int offset, int height, int width) {
        int innerWidth = width - 2 * RADIUS;
        int innerHeight = height - 2 * RADIUS;
        // The Gaussian window is separable: filter rows first (only where the window fits), then columns.
        double[][] rowFiltered = new double[5][height * innerWidth]; // x, y, x², y², x·y
        for (int r = 0; r < height; r++) {
            int rowStart = offset + r * width;
            for (int s = 0; s < innerWidth; s++) {
                double mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
                for (int k = 0; k <= 2 * RADIUS; k++) {
                    double g = GAUSSIAN[k];
                    double a = x[rowStart + s + k];
                    double b = y[rowStart + s + k];
                    mx += g * a;
                    my += g * b;
                    mxx += g * a * a;
                    myy += g * b * b;
                    mxy += g * a * b;
                }
                int at = r * innerWidth + s;
                rowFiltered[0][at] = mx;
                rowFiltered[1][at] = my;
                rowFiltered[2][at] = mxx;
                rowFiltered[3][at] = myy;
                rowFiltered[4][at] = mxy;
            }
        }
        double total = 0;
        for (int r = 0; r < innerHeight; r++) {
            for (int s = 0; s < innerWidth; s++) {
                double[] m = new double[5];
                for (int k = 0; k <= 2 * RADIUS; k++) {
                    int at = (r + k) * innerWidth + s;
                    for (int q = 0; q < 5; q++) {
                        m[q] += GAUSSIAN[k] * rowFiltered[q][at];
                    }
                }
                double mx = m[0], my = m[1];
                // Population (not sample) moments, as use_sample_covariance=False.
                double vx = m[2] - mx * mx;
                double vy = m[3] - my * my;
                double cxy = m[4] - mx * my;
                total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
            }
        }
        return total / ((double) innerHeight * innerWidth);
    }

    private static double[] gaussianWeights() {
        double[] weights = new double[2 * RADIUS + 1];
        double sum = 0;
        for (int k = -RADIUS; k <= RADIUS; k++) {
            weights[k + RADIUS] = Math.exp(-k * k / (2 * SIGMA * SIGMA));
            sum += weights[k + RADIUS];
        }
        for (int k = 0; k < weights.length; k++) {
            weights[k] /= sum;
        }
        return weights;
    }

    // ---- input handling --------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface ImageVisitor {
        /** Image {@code index} is the C·H·W values of {@code a} and {@code b} from {@code offset}, in C order. */
        void visit(int index, double[] a, double[] b, int offset, int channels, int height, int width);
    }

    private static int checkPair(INDArray images, INDArray references) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(references, "references");
        if (images.rank() != 4 || references.rank() != 4) {
            throw new IllegalArgumentException("images and references must be [N,C,H,W] (rank 4); got images "
                    + Arrays.toString(images.shape()) + " and references " + Arrays.toString(references.shape()));
        }
        if (!Arrays.equals(images.shape(), references.shape())) {
            throw new IllegalArgumentException("images and references must have the same shape; got images "
                    + Arrays.toString(images.shape()) + " and references " + Arrays.toString(references.shape()));
        }
        if (images.size(0) == 0 || images.length() / images.size(0) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("images must hold at least one image of fewer than 2^31 values; got "
                    + Arrays.toString(images.shape()));
        }
        return Math.toIntExact(images.size(0));
    }

    private static void forEachImage(INDArray images, INDArray references, ImageVisitor visitor) {
        int count = (int) images.size(0);
        int channels = (int) images.size(1);
        int height = (int) images.size(2);
        int width = (int) images.size(3);
        int perImage = channels * height * width;
        for (int start = 0; start < count; start += IMAGES_PER_BLOCK) {
            int end = Math.min(count, start + IMAGES_PER_BLOCK);
            double[] a = toDoubles(images.get(NDArrayIndex.interval(start, end)));
            double[] b = toDoubles(references.get(NDArrayIndex.interval(start, end)));
            for (int n = start; n < end; n++) {
                visitor.visit(n, a, b, (n - start) * perImage, channels, height, width);
            }
        }
    }

    private static double[] toDoubles(INDArray block) {
        // dup gives a fresh buffer holding exactly the block's values in C order.
        return block.dup('c').data().asDouble();
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
