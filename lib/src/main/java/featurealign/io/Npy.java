package featurealign.io;

import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Reads and writes numpy {@code .npy} files (format versions 1.0, 2.0 and 3.0 on read; 1.0 on write), so arrays
 * produced by the kit can be checked with {@code numpy.load} and numpy arrays can be fed to the kit.
 *
 * <p>Supported element types, both ways: {@code <f4} ↔ {@link DataType#FLOAT}, {@code <f8} ↔ {@link DataType#DOUBLE},
 * {@code |u1} ↔ {@link DataType#UBYTE}, {@code <i4} ↔ {@link DataType#INT}, {@code <i8} ↔ {@link DataType#LONG}.
 * Only C (row-major) order. Any shape, including {@code ()} (a rank-0 scalar) and shapes with a zero dimension.
 * Everything else (Fortran order, big-endian data, other types, bad magic, malformed header, a data section whose
 * size does not match the header) is rejected with an {@link IOException} whose message starts with the file name.
 * The data size promised by the header is checked against the file size before anything is allocated.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data section to 64 bytes (numpy.lib.format.ARRAY_ALIGN). */
    private static final int ALIGNMENT = 64;
    /** numpy leaves room for this many digits in the first dimension so files can grow in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Far above any real header (numpy's own default limit is 10,000 bytes); guards against absurd lengths. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** Bytes moved between the file and native memory per step. */
    static final int DEFAULT_CHUNK_BYTES = 1 << 24;

    /** The element types this class reads and writes, with their numpy type strings. */
    private enum ElementType {
        F4("<f4", DataType.FLOAT, 4),
        F8("<f8", DataType.DOUBLE, 8),
        U1("|u1", DataType.UBYTE, 1),
        I4("<i4", DataType.INT, 4),
        I8("<i8", DataType.LONG, 8);

        final String descr;
        final DataType dataType;
        final int bytes;

        ElementType(String descr, DataType dataType, int bytes) {
            this.descr = descr;
            this.dataType = dataType;
            this.bytes = bytes;
        }

        static ElementType ofDescr(String descr) {
            for (ElementType type : values()) {
                if (type.descr.equals(descr)) {
                    return type;
                }
            }
            return null;
        }

        static ElementType ofDataType(DataType dataType) {
            for (ElementType type : values()) {
                if (type.dataType == dataType) {
                    return type;
                }
            }
            return null;
        }

        static String supportedDescrs() {
            return Arrays.stream(values()).map(t -> "'" + t.descr + "'").collect(Collectors.joining(", "));
        }
    }

    private Npy() {
    }

    /**
     * Writes {@code array} as a version 1.0 {@code .npy} file in C order, atomically (temporary file + rename),
     * byte-for-byte as {@code numpy.save} 1.24 writes the same array.
     *
     * @param array any shape; data type FLOAT, DOUBLE, UBYTE, INT or LONG (cast others first, e.g.
     *              {@code array.castTo(DataType.FLOAT)})
     * @param file  destination; missing parent directories are created
     * @throws IllegalArgumentException for an unsupported data type
     * @throws IOException              if the file cannot be written
     */
    public static void write(INDArray array, Path file) throws IOException {
        write(array, file, DEFAULT_CHUNK_BYTES);
    }

    static void write(INDArray array, Path file, int chunkBytes) throws IOException {
        Objects.requireNonNull(array, "array");
        Objects.requireNonNull(file, "file");
        requireLittleEndianHost();
        ElementType type = ElementType.ofDataType(array.dataType());
        if (type == null) {
            throw new IllegalArgumentException("Npy.write(" + file + "): array data type " + array.dataType()
                    + " has no .npy mapping here; expected FLOAT, DOUBLE, UBYTE, INT or LONG (cast it first)");
        }
        long[] shape = array.shape();
        byte[] header = header(type.descr, shape);
        INDArray packed = array.isEmpty() ? array : packedCOrder(array);
        AtomicFiles.write(file, out -> {
            out.write(header);
            if (!array.isEmpty()) {
                copyToStream(packed, packed.length() * type.bytes, out, chunkBytes);
            }
        });
    }

    /**
     * Reads a {@code .npy} file into a new C-ordered array of the matching data type (see the class comment).
     *
     * @param file a {@code .npy} file
     * @return the array, with numpy's shape ({@code ()} gives a rank-0 scalar)
     * @throws IOException if the file cannot be read or is not a supported {@code .npy} file; the message names it
     */
    public static INDArray read(Path file) throws IOException {
        return read(file, DEFAULT_CHUNK_BYTES);
    }

    static INDArray read(Path file, int chunkBytes) throws IOException {
        Objects.requireNonNull(file, "file");
        requireLittleEndianHost();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            Header header = readHeader(file, channel, fileSize);
            long dataBytes = header.elementCount * header.type.bytes; // cannot overflow: checked in readHeader
            long available = fileSize - header.dataOffset;
            if (available != dataBytes) {
                throw new IOException(file + ": the header promises shape " + shapeText(header.shape) + " of '"
                        + header.type.descr + "' (" + dataBytes + " data bytes) but the file holds " + available
                        + " data bytes after its " + header.dataOffset + "-byte header"
                        + (available < dataBytes ? " (truncated)" : " (trailing bytes)"));
            }
            if (header.elementCount == 0) {
                return Nd4j.create(header.type.dataType, header.shape);
            }
            INDArray array = header.shape.length == 0
                    ? Nd4j.scalar(header.type.dataType, 0)
                    : Nd4j.createUninitialized(header.type.dataType, header.shape, 'c');
            copyFromChannel(file, channel, header.dataOffset, array, dataBytes, chunkBytes);
            return array;
        }
    }

    /** The complete version 1.0 header (magic to trailing newline) numpy 1.24 writes for this type and shape. */
    static byte[] header(String descr, long[] shape) {
        StringBuilder dict = new StringBuilder()
                .append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
                .append(shapeText(shape)).append(", }");
        if (shape.length > 0) {
            dict.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
        }
        int textLength = dict.length() + 1; // + the newline
        int padding = ALIGNMENT - (MAGIC.length + 2 + 2 + textLength) % ALIGNMENT; // 1..64, as numpy does
        dict.append(" ".repeat(padding)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (text.length > 0xFFFF) {
            throw new IllegalArgumentException("shape " + shapeText(shape) + " needs a header longer than the "
                    + "65535 bytes of .npy version 1.0");
        }
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 4 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return header.array();
    }

    private static String shapeText(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    private static void requireLittleEndianHost() {
        // ND4J keeps data in native byte order; .npy data here is little-endian and copied without swapping.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("Npy supports little-endian hosts only");
        }
    }

    /** The array itself if its buffer already holds exactly its elements in C order, otherwise a C-ordered copy. */
    private static INDArray packedCOrder(INDArray array) {
        boolean packed = array.ordering() == 'c' && array.offset() == 0 && array.data().length() == array.length()
                && Shape.hasDefaultStridesForShape(array);
        return packed ? array : array.dup('c');
    }

    private static BytePointer bytesOf(INDArray array, long byteCount) {
        return new BytePointer(array.data().addressPointer()).capacity(byteCount);
    }

    private static void copyToStream(INDArray array, long byteCount, OutputStream out, int chunkBytes)
            throws IOException {
        BytePointer bytes = bytesOf(array, byteCount);
        byte[] chunk = new byte[(int) Math.min(chunkBytes, byteCount)];
        for (long done = 0; done < byteCount; ) {
            int length = (int) Math.min(chunk.length, byteCount - done);
            bytes.position(done).get(chunk, 0, length);
            out.write(chunk, 0, length);
            done += length;
        }
    }

    private static void copyFromChannel(Path file, FileChannel channel, long offset, INDArray array, long byteCount,
                                        int chunkBytes) throws IOException {
        BytePointer bytes = bytesOf(array, byteCount);
        for (long done = 0; done < byteCount; ) {
            int length = (int) Math.min(chunkBytes, byteCount - done);
            // javacpp's buffer spans [0, limit) positioned at done; slice() leaves exactly this chunk's window.
            ByteBuffer target = bytes.position(done).limit(done + length).asByteBuffer().slice();
            while (target.hasRemaining()) {
                if (channel.read(target, offset + done + target.position()) < 0) {
                    throw new IOException(file + ": unexpected end of file in the data section");
                }
            }
            done += length;
        }
    }

    private record Header(ElementType type, long[] shape, long elementCount, long dataOffset) {
    }

    private static Header readHeader(Path file, FileChannel channel, long fileSize) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(MAGIC.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, prefix, 0, "the magic string and version");
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(i) != MAGIC[i]) {
                throw new IOException(file + ": not a .npy file (bad magic string; expected \\x93NUMPY)");
            }
        }
        int major = prefix.get(6);
        int minor = prefix.get(7);
        if (major < 1 || major > 3 || minor != 0) {
            throw new IOException(file + ": unsupported .npy format version " + major + "." + minor
                    + "; expected 1.0, 2.0 or 3.0");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer lengthField = ByteBuffer.allocate(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthField, prefix.capacity(), "the header length");
        long textLength = major == 1 ? Short.toUnsignedInt(lengthField.getShort(0))
                : Integer.toUnsignedLong(lengthField.getInt(0));
        long dataOffset = prefix.capacity() + lengthBytes + textLength;
        if (textLength > MAX_HEADER_BYTES || dataOffset > fileSize) {
            throw new IOException(file + ": header length " + textLength + " is larger than the file ("
                    + fileSize + " bytes) or than " + MAX_HEADER_BYTES + " bytes; the file is truncated or corrupt");
        }
        ByteBuffer textBuffer = ByteBuffer.allocate((int) textLength);
        readFully(file, channel, textBuffer, prefix.capacity() + lengthBytes, "the header");
        String text = new String(textBuffer.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Map<String, Object> dict;
        try {
            dict = new HeaderParser(text).parse();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": malformed .npy header (" + e.getMessage() + "): " + text.strip());
        }
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new IOException(file + ": .npy header must have exactly the keys 'descr', 'fortran_order' and "
                    + "'shape' but has " + dict.keySet());
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new IOException(file + ": header field 'descr' must be a type string such as '<f4', not "
                    + dict.get("descr"));
        }
        ElementType type = ElementType.ofDescr(descr);
        if (type == null) {
            String hint = descr.startsWith(">") ? " (big-endian data is not supported)" : "";
            throw new IOException(file + ": header field 'descr' is '" + descr + "'" + hint + "; expected one of "
                    + ElementType.supportedDescrs());
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortranOrder)) {
            throw new IOException(file + ": header field 'fortran_order' must be True or False, not "
                    + dict.get("fortran_order"));
        }
        if (fortranOrder) {
            throw new IOException(file + ": header field 'fortran_order' is True; only C order is supported "
                    + "(save numpy.ascontiguousarray(a) instead)");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new IOException(file + ": header field 'shape' must be a tuple of integers, not "
                    + dict.get("shape"));
        }
        long elementCount = 1;
        try {
            for (long dimension : shape) {
                if (dimension < 0) {
                    throw new IOException(file + ": header field 'shape' " + shapeText(shape)
                            + " has a negative dimension");
                }
                elementCount = Math.multiplyExact(elementCount, dimension);
            }
            Math.multiplyExact(elementCount, (long) type.bytes);
        } catch (ArithmeticException e) {
            throw new IOException(file + ": header field 'shape' " + shapeText(shape)
                    + " describes more data than a file can hold");
        }
        return new Header(type, shape, elementCount, dataOffset);
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position, String what)
            throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException(file + ": file ends inside " + what + "; not a complete .npy file");
            }
        }
    }

    /**
     * Parses the Python dict literal of a {@code .npy} header: string keys; values that are strings, True/False or
     * tuples of non-negative integers (returned as {@code long[]}).
     */
    private static final class HeaderParser {
        private final String text;
        private int at;

        HeaderParser(String text) {
            this.text = text;
        }

        Map<String, Object> parse() {
            Map<String, Object> dict = new LinkedHashMap<>();
            expect('{');
            while (!peek('}')) {
                String key = string();
                expect(':');
                Object value = value();
                if (dict.put(key, value) != null) {
                    throw new IllegalArgumentException("key '" + key + "' appears twice");
                }
                if (!peek('}')) {
                    expect(',');
                }
            }
            expect('}');
            skipSpaces();
            if (at != text.length()) {
                throw new IllegalArgumentException("unexpected text after the closing brace at offset " + at);
            }
            return dict;
        }

        private Object value() {
            skipSpaces();
            if (peek('\'') || peek('"')) {
                return string();
            }
            if (peek('(')) {
                return tuple();
            }
            if (text.startsWith("True", at)) {
                at += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", at)) {
                at += 5;
                return Boolean.FALSE;
            }
            throw new IllegalArgumentException("expected a string, True, False or a tuple at offset " + at);
        }

        private long[] tuple() {
            expect('(');
            List<Long> values = new ArrayList<>();
            while (!peek(')')) {
                values.add(integer());
                if (!peek(')')) {
                    expect(',');
                }
            }
            expect(')');
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() {
            skipSpaces();
            int start = at;
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("expected a non-negative integer at offset " + start);
            }
            try {
                return Long.parseLong(text.substring(start, at));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("integer too large at offset " + start);
            }
        }

        private String string() {
            skipSpaces();
            if (at >= text.length() || (text.charAt(at) != '\'' && text.charAt(at) != '"')) {
                throw new IllegalArgumentException("expected a quoted string at offset " + at);
            }
            char quote = text.charAt(at++);
            int end = text.indexOf(quote, at);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated string starting at offset " + (at - 1));
            }
            String value = text.substring(at, end);
            at = end + 1;
            return value;
        }

        private boolean peek(char c) {
            skipSpaces();
            return at < text.length() && text.charAt(at) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected '" + c + "' at offset " + at);
            }
            at++;
        }

        private void skipSpaces() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
