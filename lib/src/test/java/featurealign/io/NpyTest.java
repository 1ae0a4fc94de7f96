package featurealign.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class NpyTest {

    @TempDir
    Path dir;

    /** A fixture written by numpy 1.24.2 (see src/test/resources/io/make_fixtures.py). */
    private static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/io/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture /io/" + name, e);
        }
    }

    /** A .npy v1.0 file with the given header dict text (padded like numpy) followed by {@code data}. */
    private Path npyWithHeader(String name, String dict, byte[] data) throws IOException {
        int unpadded = 10 + dict.length() + 1;
        String text = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer bytes = ByteBuffer.allocate(10 + text.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length())
                .put(text.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path file = dir.resolve(name);
        Files.write(file, bytes.array());
        return file;
    }

    private static IOException readFails(Path file) {
        IOException e = assertThrows(IOException.class, () -> Npy.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message should name the file: " + e.getMessage());
        return e;
    }

    @Test
    void readsFilesWrittenByNumpy() throws IOException {
        INDArray f4 = Npy.read(fixture("f4_2x3.npy"));
        assertEquals(DataType.FLOAT, f4.dataType());
        assertArrayEquals(new long[]{2, 3}, f4.shape());
        assertArrayEquals(new float[]{0, .25f, .5f, .75f, 1f, 1.25f}, f4.reshape(6).toFloatVector());
        assertEquals(0.75f, f4.getFloat(1, 0));

        INDArray f8 = Npy.read(fixture("f8_2x2x2.npy"));
        assertEquals(DataType.DOUBLE, f8.dataType());
        assertArrayEquals(new long[]{2, 2, 2}, f8.shape());
        assertEquals(-3.5, f8.getDouble(0, 0, 0));
        assertEquals(6 - 3.5, f8.getDouble(1, 1, 0)); // flat index 6 in C order

        INDArray u1 = Npy.read(fixture("u1_2x2.npy"));
        assertEquals(DataType.UBYTE, u1.dataType());
        assertArrayEquals(new int[]{0, 1, 128, 255}, u1.castTo(DataType.INT).reshape(4).toIntVector());

        INDArray i4 = Npy.read(fixture("i4_vec5.npy"));
        assertEquals(DataType.INT, i4.dataType());
        assertArrayEquals(new long[]{5}, i4.shape());
        assertArrayEquals(new int[]{-2, -1, 0, 1, Integer.MAX_VALUE}, i4.toIntVector());

        INDArray i8 = Npy.read(fixture("i8_3x1.npy"));
        assertEquals(DataType.LONG, i8.dataType());
        assertArrayEquals(new long[]{3, 1}, i8.shape());
        assertArrayEquals(new long[]{-(1L << 40), 0, 1L << 40}, i8.reshape(3).toLongVector());

        INDArray scalar = Npy.read(fixture("f8_scalar.npy"));
        assertEquals(0, scalar.rank());
        assertEquals(2.5, scalar.getDouble(0));

        INDArray empty = Npy.read(fixture("f4_0x3.npy"));
        assertTrue(empty.isEmpty());
        assertArrayEquals(new long[]{0, 3}, empty.shape());
    }

    @Test
    void writesTheSameBytesAsNumpy() throws IOException {
        String[] names = {"f4_2x3.npy", "f8_2x2x2.npy", "u1_2x2.npy", "i4_vec5.npy", "i8_3x1.npy", "f8_scalar.npy",
                "f4_0x3.npy"};
        for (String name : names) {
            Path copy = dir.resolve(name);
            Npy.write(Npy.read(fixture(name)), copy);
            assertArrayEquals(Files.readAllBytes(fixture(name)), Files.readAllBytes(copy), name);
        }
    }

    @Test
    void headerIsPaddedToSixtyFourBytesWithNumpysGrowthRoom() {
        for (long first : new long[]{1, 12, 123456789012L}) {
            byte[] header = Npy.header("<f8", new long[]{first, 7, 7, 7, 7, 7});
            assertEquals(0, header.length % 64);
            assertEquals('\n', header[header.length - 1]);
            String text = new String(header, 10, header.length - 10, StandardCharsets.ISO_8859_1);
            // 21 digits of room for the first dimension: the text before the padding is the same length for all.
            assertTrue(text.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (" + first + ", 7, 7, 7, 7, 7), }"
                    + " ".repeat(21 - Long.toString(first).length())), text);
        }
    }

    @Test
    void roundTripsAcrossChunkBoundariesAndViews() throws IOException {
        Nd4j.getRandom().setSeed(7);
        INDArray doubles = Nd4j.rand(DataType.DOUBLE, 3, 5, 7);
        Path file = dir.resolve("d.npy");
        Npy.write(doubles, file, 13); // a chunk size that splits elements
        INDArray back = Npy.read(file, 11);
        assertEquals(doubles, back);

        INDArray floats = Nd4j.rand(DataType.FLOAT, 4, 6);
        INDArray transposedView = floats.transpose();       // F-ordered view: must be written in C order
        INDArray columnView = floats.getColumn(2);          // strided view with an offset
        Npy.write(transposedView, file);
        assertEquals(transposedView.dup('c'), Npy.read(file));
        Npy.write(columnView, file);
        INDArray column = Npy.read(file);
        assertArrayEquals(columnView.toFloatVector(), column.toFloatVector());
        try (var listing = Files.list(dir)) {
            assertEquals(1, listing.count(), "no temporary files left behind");
        }
    }

    @Test
    void rejectsUnsupportedLayoutsAndTypesNamingTheFile() {
        assertTrue(readFails(fixture("f4_fortran_2x3.npy")).getMessage().contains("fortran_order"));
        assertTrue(readFails(fixture("f4_bigendian_2.npy")).getMessage().contains("big-endian"));
        assertTrue(readFails(fixture("i2_3.npy")).getMessage().contains("'<i2'"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.write(Nd4j.zeros(DataType.HALF, 2), dir.resolve("h.npy")));
        assertTrue(e.getMessage().contains("HALF"), e.getMessage());
    }

    @Test
    void rejectsTruncatedAndOverlongData() throws IOException {
        byte[] good = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path truncated = dir.resolve("truncated.npy");
        Files.write(truncated, Arrays.copyOf(good, good.length - 1));
        assertTrue(readFails(truncated).getMessage().contains("truncated"));

        Path trailing = dir.resolve("trailing.npy");
        Files.write(trailing, Arrays.copyOf(good, good.length + 4));
        assertTrue(readFails(trailing).getMessage().contains("trailing"));

        Path headerOnly = dir.resolve("cut-in-header.npy");
        Files.write(headerOnly, Arrays.copyOf(good, 40));
        assertTrue(readFails(headerOnly).getMessage().contains("truncated or corrupt"));

        Path tiny = dir.resolve("tiny.npy");
        Files.write(tiny, Arrays.copyOf(good, 5));
        assertTrue(readFails(tiny).getMessage().contains("ends inside"));
    }

    @Test
    void rejectsHugeShapesWithoutAllocating() throws IOException {
        // 2^40 floats would be 4 TiB: the size check against the 0-byte data section must come first.
        Path huge = npyWithHeader("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }",
                new byte[0]);
        assertTrue(readFails(huge).getMessage().contains("truncated"));
        Path overflowing = npyWithHeader("overflow.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", new byte[0]);
        assertTrue(readFails(overflowing).getMessage().contains("more data than a file can hold"));
    }

    @Test
    void rejectsBadMagicAndMalformedHeaders() throws IOException {
        Path notNpy = dir.resolve("not.npy");
        Files.writeString(notNpy, "PK\u0003\u0004 this is a zip, not an npy file");
        assertTrue(readFails(notNpy).getMessage().contains("magic"));

        String[] malformed = {
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",   // no closing brace
                "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }",     // not a bool
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }",
                "{'descr': '<f4', 'fortran_order': False, }",                  // missing key
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': True, }",
        };
        for (int i = 0; i < malformed.length; i++) {
            Path file = npyWithHeader("bad" + i + ".npy", malformed[i], new byte[24]);
            String message = readFails(file).getMessage();
            assertTrue(message.contains("header"), message);
        }
    }
}
