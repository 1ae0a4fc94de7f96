package featurealign.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Locale;
import java.util.Random;

/**
 * Random image changes applied to a judge's training batches, so that the judge classifies what an image shows and not
 * how sharp, bright or clean it is: a judge trained on clean images alone calls most blurry digits an 8, and then its
 * accuracy on generated images measures sharpness more than class. Applied per image, in this order: shift, flip,
 * Gaussian blur, contrast, brightness, pixel noise; pixels are clipped to [0,1] at the end.
 *
 * @param maxShift        largest shift in pixels along each axis (uniform integer in [−maxShift, maxShift]; edge
 *                        pixels repeat into the gap); 0 = none
 * @param horizontalFlip  mirror left-right with probability ½ (not for digits)
 * @param blurProbability probability of a Gaussian blur
 * @param minBlurSigma    smallest blur σ in pixels
 * @param maxBlurSigma    largest blur σ in pixels (σ ~ U(min, max))
 * @param contrast        contrast factor ~ U(1 − contrast, 1 + contrast) around the image's mean; 0 = none
 * @param brightness      brightness offset ~ U(−brightness, brightness); 0 = none
 * @param noiseProbability probability of adding Gaussian pixel noise
 * @param maxNoiseStd     its standard deviation ~ U(0, maxNoiseStd)
 */
public record Augmentation(int maxShift, boolean horizontalFlip, double blurProbability, double minBlurSigma,
                           double maxBlurSigma, double contrast, double brightness, double noiseProbability,
                           double maxNoiseStd) {

    /** No change at all. */
    public static final Augmentation NONE = new Augmentation(0, false, 0, 0, 0, 0, 0, 0, 0);

    public Augmentation {
        if (maxShift < 0) throw new IllegalArgumentException("maxShift must be >= 0, got " + maxShift);
        probability(blurProbability, "blurProbability");
        probability(noiseProbability, "noiseProbability");
        if (!(minBlurSigma >= 0 && maxBlurSigma >= minBlurSigma)) {
            throw new IllegalArgumentException("blur sigma range must satisfy 0 <= min <= max, got [" + minBlurSigma
                    + ", " + maxBlurSigma + "]");
        }
        if (!(contrast >= 0 && contrast < 1)) throw new IllegalArgumentException("contrast must be in [0,1), got " + contrast);
        if (!(brightness >= 0 && brightness < 1)) throw new IllegalArgumentException("brightness must be in [0,1), got " + brightness);
        if (!(maxNoiseStd >= 0)) throw new IllegalArgumentException("maxNoiseStd must be >= 0, got " + maxNoiseStd);
    }

    private static void probability(double p, String name) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException(name + " must be in [0,1], got " + p);
    }

    /**
     * Photometric changes only (blur σ 0.3–2 px in half the images, contrast ±30 %, brightness ±0.1, noise up to
     * 0.05 in a third), plus shifts of up to {@code maxShift} pixels and optional flips.
     */
    public static Augmentation photometric(int maxShift, boolean horizontalFlip) {
        return new Augmentation(maxShift, horizontalFlip, 0.5, 0.3, 2.0, 0.3, 0.1, 1.0 / 3, 0.05);
    }

    /** Whether this changes anything. */
    public boolean isNone() { return equals(NONE); }

    /** A stable, locale-independent description (part of a judge's cache key). */
    public String description() {
        if (isNone()) return "none";
        return String.format(Locale.ROOT, "shift<=%d flip=%b blur(p=%s,sigma=%s..%s) contrast=%s brightness=%s noise(p=%s,std<=%s)",
                maxShift, horizontalFlip, num(blurProbability), num(minBlurSigma), num(maxBlurSigma), num(contrast),
                num(brightness), num(noiseProbability), num(maxNoiseStd));
    }

    private static String num(double v) { return Double.toString(v); }

    /**
     * Changes {@code n} images stored one after another in {@code pixels} (c-order {@code [n,C,H,W]}, values in [0,1])
     * in place, drawing from {@code rng}.
     */
    public void apply(float[] pixels, int n, int channels, int height, int width, Random rng) {
        int size = channels * height * width;
        if ((long) n * size > pixels.length) {
            throw new IllegalArgumentException(n + " images of " + size + " pixels do not fit in " + pixels.length);
        }
        if (isNone()) return;
        float[] scratch = new float[size];
        for (int i = 0; i < n; i++) {
            int offset = i * size;
            if (maxShift > 0) {
                shift(pixels, offset, channels, height, width, rng.nextInt(2 * maxShift + 1) - maxShift,
                        rng.nextInt(2 * maxShift + 1) - maxShift, scratch);
            }
            if (horizontalFlip && rng.nextBoolean()) flip(pixels, offset, channels, height, width);
            if (blurProbability > 0 && rng.nextDouble() < blurProbability) {
                double sigma = minBlurSigma + (maxBlurSigma - minBlurSigma) * rng.nextDouble();
                blur(pixels, offset, channels, height, width, sigma, scratch);
            }
            if (contrast > 0 || brightness > 0) {
                double factor = 1 + contrast * (2 * rng.nextDouble() - 1);
                double offsetValue = brightness * (2 * rng.nextDouble() - 1);
                double mean = 0;
                for (int p = 0; p < size; p++) mean += pixels[offset + p];
                mean /= size;
                for (int p = 0; p < size; p++) {
                    pixels[offset + p] = (float) (mean + factor * (pixels[offset + p] - mean) + offsetValue);
                }
            }
            if (noiseProbability > 0 && rng.nextDouble() < noiseProbability) {
                double std = maxNoiseStd * rng.nextDouble();
                for (int p = 0; p < size; p++) pixels[offset + p] += (float) (std * rng.nextGaussian());
            }
            for (int p = 0; p < size; p++) pixels[offset + p] = Math.min(1f, Math.max(0f, pixels[offset + p]));
        }
    }

    /** A Gaussian-blurred float32 copy of {@code images} ({@code [N,C,H,W]}), σ in pixels (edges repeat). */
    public static INDArray blurred(INDArray images, double sigma) {
        if (images.rank() != 4) throw new IllegalArgumentException("images: expected [N,C,H,W], got rank " + images.rank());
        if (!(sigma > 0)) throw new IllegalArgumentException("blur sigma must be > 0, got " + sigma);
        int n = (int) images.size(0), c = (int) images.size(1), h = (int) images.size(2), w = (int) images.size(3);
        float[] pixels = images.castTo(DataType.FLOAT).dup('c').data().asFloat();
        float[] scratch = new float[c * h * w];
        for (int i = 0; i < n; i++) blur(pixels, i * c * h * w, c, h, w, sigma, scratch);
        return Nd4j.create(pixels, new long[]{n, c, h, w}, 'c');
    }

    /** Separable Gaussian blur of one image at {@code offset}, radius ⌈3σ⌉, edge pixels repeated. */
    static void blur(float[] pixels, int offset, int channels, int height, int width, double sigma, float[] scratch) {
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        float[] kernel = new float[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] = (float) Math.exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.length; k++) kernel[k] /= (float) sum;
        for (int ch = 0; ch < channels; ch++) {
            int base = offset + ch * height * width, sb = ch * height * width;
            // Rows into scratch, then columns back into pixels: the same 1-D pass along x (step 1) and y (step width).
            blurPass(pixels, base, scratch, sb, height, width, 1, width, kernel, radius);
            blurPass(scratch, sb, pixels, base, width, height, width, 1, kernel, radius);
        }
    }

    /**
     * One 1-D Gaussian pass over a plane: {@code lines} lines of {@code length} pixels, consecutive pixels {@code step}
     * apart and consecutive lines {@code lineStep} apart; edge pixels repeat.
     */
    private static void blurPass(float[] from, int fromBase, float[] to, int toBase, int lines, int length, int step,
                                 int lineStep, float[] kernel, int radius) {
        for (int line = 0; line < lines; line++) {
            int start = line * lineStep;
            for (int i = 0; i < length; i++) {
                float acc = 0;
                for (int k = -radius; k <= radius; k++) {
                    int j = Math.min(length - 1, Math.max(0, i + k));
                    acc += kernel[k + radius] * from[fromBase + start + j * step];
                }
                to[toBase + start + i * step] = acc;
            }
        }
    }

    private static void shift(float[] pixels, int offset, int channels, int height, int width, int dy, int dx,
                              float[] scratch) {
        if (dx == 0 && dy == 0) return;
        int size = channels * height * width;
        System.arraycopy(pixels, offset, scratch, 0, size);
        for (int ch = 0; ch < channels; ch++) {
            int b = ch * height * width;
            for (int y = 0; y < height; y++) {
                int sy = Math.min(height - 1, Math.max(0, y - dy));
                for (int x = 0; x < width; x++) {
                    int sx = Math.min(width - 1, Math.max(0, x - dx));
                    pixels[offset + b + y * width + x] = scratch[b + sy * width + sx];
                }
            }
        }
    }

    private static void flip(float[] pixels, int offset, int channels, int height, int width) {
        for (int ch = 0; ch < channels; ch++) {
            for (int y = 0; y < height; y++) {
                int row = offset + (ch * height + y) * width;
                for (int a = 0, b = width - 1; a < b; a++, b--) {
                    float t = pixels[row + a];
                    pixels[row + a] = pixels[row + b];
                    pixels[row + b] = t;
                }
            }
        }
    }
}
