package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class ImageSetTest {
    /** 5 images of 2×2×3: pixel value = 10·image + position (0..11). */
    private static ImageSet small() {
        byte[] pixels = new byte[5 * 12];
        for (int i = 0; i < 5; i++) {
            for (int p = 0; p < 12; p++) {
                pixels[i * 12 + p] = (byte) (10 * i + p + 200 * (i == 4 ? 1 : 0) - (i == 4 ? 150 : 0));
            }
        }
        return ImageSet.builder("small", 2, 2, 3).pixels(pixels)
                .labels(new int[]{0, 2, 1, 2, -1}, List.of("a", "b", "c")).build();
    }

    @Test
    void shapeLabelsAndCounts() {
        ImageSet set = small();
        assertEquals(5, set.size());
        assertEquals(2, set.channels());
        assertEquals(2, set.height());
        assertEquals(3, set.width());
        assertEquals(3, set.classCount());
        assertEquals(2, set.label(1));
        assertEquals(-1, set.label(4));
        assertArrayEquals(new int[]{1, 1, 2}, set.labelCounts());
        // pixel(i, c, y, x) follows NCHW: offset (c*H + y)*W + x
        assertEquals(10 + (1 * 2 + 1) * 3 + 2, set.pixel(1, 1, 1, 2));
    }

    @Test
    void floatTensorIsPixelOver255InNchwOrder() {
        ImageSet set = small();
        INDArray x = set.toFloatNCHW(new int[]{3, 1});
        assertEquals(DataType.FLOAT, x.dataType());
        assertArrayEquals(new long[]{2, 2, 2, 3}, x.shape());
        assertEquals((30 + 5) / 255f, x.getFloat(0, 0, 1, 2), 1e-7);
        assertEquals((10 + 7) / 255f, x.getFloat(1, 1, 0, 1), 1e-7);
        INDArray d = set.toDoubleNCHW(new int[]{3});
        assertEquals(DataType.DOUBLE, d.dataType());
        assertEquals((30 + 5) / 255.0, d.getDouble(0, 0, 1, 2), 1e-15);
        assertEquals(DataType.HALF, set.toNCHW(new int[]{0}, DataType.HALF).dataType());
        assertThrows(IllegalArgumentException.class, () -> set.toNCHW(new int[]{0}, DataType.INT));
    }

    @Test
    void unsignedBytesAbove127MapAboveHalf() {
        byte[] pixels = {(byte) 255, (byte) 128, 0, 127};
        ImageSet set = ImageSet.builder("u8", 1, 2, 2).pixels(pixels).build();
        INDArray x = set.toFloatNCHW();
        assertEquals(1f, x.getFloat(0, 0, 0, 0), 0);
        assertEquals(128 / 255f, x.getFloat(0, 0, 0, 1), 1e-7);
        assertEquals(0f, x.getFloat(0, 0, 1, 0), 0);
        assertEquals(0, set.classCount());
        assertFalse(set.hasLabels());
    }

    @Test
    void oneHotLabels() {
        ImageSet set = small();
        INDArray y = set.labelsOneHot(new int[]{0, 1, 2}, 3);
        assertArrayEquals(new long[]{3, 3}, y.shape());
        assertArrayEquals(new float[]{1, 0, 0, 0, 0, 1, 0, 1, 0}, y.data().asFloat());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> set.labelsOneHot(new int[]{4}, 3));
        assertTrue(none.getMessage().contains("label -1"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> set.labelsOneHot(new int[]{1}, 2));
    }

    @Test
    void subsetsAreViewsWithRemappedIndices() {
        ImageSet set = small();
        ImageSet sub = set.subset(new int[]{3, 0, 3});
        assertEquals(3, sub.size());
        assertEquals(2, sub.label(0));
        assertEquals(0, sub.label(1));
        assertArrayEquals(set.pixels(3), sub.pixels(2));
        ImageSet nested = sub.subset(new int[]{1});
        assertArrayEquals(set.pixels(0), nested.pixels(0));
        assertArrayEquals(new int[]{1, 0, 2}, sub.labelCounts());
        assertEquals(2, set.first(2).size());
        assertArrayEquals(set.pixels(1), set.first(2).pixels(1));
        assertThrows(IllegalArgumentException.class, () -> set.first(6));
        assertThrows(IndexOutOfBoundsException.class, () -> set.subset(new int[]{5}));
        assertThrows(IndexOutOfBoundsException.class, () -> set.toFloatNCHW(new int[]{-1}));
    }

    @Test
    void randomSubsetIsSeededDistinctAndSorted() {
        int[] a = ImageSet.sampleIndices(1000, 100, 7);
        int[] b = ImageSet.sampleIndices(1000, 100, 7);
        int[] c = ImageSet.sampleIndices(1000, 100, 8);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        assertEquals(100, Arrays.stream(a).distinct().count());
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, a);
        ImageSet set = small();
        ImageSet all = set.randomSubset(5, 1);
        assertArrayEquals(set.labelCounts(), all.labelCounts());
        assertThrows(IllegalArgumentException.class, () -> set.randomSubset(6, 1));
    }

    @Test
    void builderRejectsInconsistentInput() {
        assertThrows(IllegalArgumentException.class,
                () -> ImageSet.builder("x", 1, 2, 2).pixels(new byte[7]).build());
        assertThrows(IllegalArgumentException.class,
                () -> ImageSet.builder("x", 1, 2, 2).pixels(new byte[8]).labels(new int[]{0}, List.of("a")).build());
        IllegalArgumentException badLabel = assertThrows(IllegalArgumentException.class,
                () -> ImageSet.builder("x", 1, 2, 2).pixels(new byte[8]).labels(new int[]{0, 3}, List.of("a", "b"))
                        .build());
        assertTrue(badLabel.getMessage().contains("image 1"), badLabel.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageSet.builder("x", 1, 1, 1).pixels(new byte[1])
                .attributes(new byte[][]{{1, 0}}, List.of("p", "q")).build());
        assertThrows(IllegalArgumentException.class, () -> ImageSet.builder("x", 0, 1, 1));
    }

    @Test
    void attributesItemNamesAndChunkedStorage() {
        // Large sets are stored in several chunks; one image per chunk exercises the chunk arithmetic.
        byte[][] chunks = {new byte[]{1, 2, 3}, new byte[]{4, 5, 6}, new byte[]{7, 8, 9}};
        ImageSet set = ImageSet.builder("attrs", 3, 1, 1).pixelChunks(chunks, 1, 3)
                .attributes(new byte[][]{{1, -1}, {-1, -1}, {1, 1}}, List.of("Smiling", "Male"))
                .itemNames(new String[]{"000001.jpg", "000002.jpg", "000003.jpg"}).build();
        assertEquals(3, set.imageBytes());
        assertEquals(6, set.pixel(1, 2, 0, 0));
        assertArrayEquals(new byte[]{7, 8, 9}, set.pixels(2));
        assertArrayEquals(new byte[]{7, 8, 9}, set.subset(new int[]{2, 0}).pixels(0));
        assertEquals(8 / 255f, set.toFloatNCHW(new int[]{0, 2}).getFloat(1, 1, 0, 0), 1e-7);
        assertArrayEquals(new byte[]{-1, -1}, set.attributes(1));
        assertEquals("000002.jpg", set.itemName(1));
        INDArray m = set.attributesMatrix(new int[]{1, 0}, DataType.FLOAT);
        assertArrayEquals(new float[]{-1, -1, 1, -1}, m.data().asFloat());
        byte[] copy = set.pixels(0);
        copy[0] = 99;
        assertNotEquals(99, set.pixel(0, 0, 0, 0));
        // Two chunks of two images each hold at most four images.
        assertThrows(IllegalArgumentException.class, () -> ImageSet.builder("x", 3, 1, 1)
                .pixelChunks(new byte[][]{new byte[6], new byte[6]}, 2, 5).build());
        byte[][] allocated = ImageSet.allocateChunks(5, 3);
        assertEquals(1, allocated.length);
        assertEquals(15, allocated[0].length);
    }
}
