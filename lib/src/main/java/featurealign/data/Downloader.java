package featurealign.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * HTTP(S) download of one file into {@code <target>.partial}, with a connect timeout, a read (no-progress)
 * timeout, retries with exponential backoff, resume via {@code Range} when a partial file exists, and an atomic
 * rename to the final name only after the content check passes. A failed check deletes the partial file and
 * throws {@link ChecksumMismatchException}. A connection failure (refused, unresolved host, connect timeout) is
 * not retried, so a caller can move on to another source at once.
 */
final class Downloader {
    /** Checks a finished download; returns null when it is right. */
    interface ContentCheck {
        Mismatch check(Path file) throws IOException;
    }

    /** What a failed {@link ContentCheck} found. */
    record Mismatch(String algorithm, String expected, String actual) {
    }

    /** A download failure; {@code permanent} means retrying this URL now is pointless (no connection, HTTP 4xx). */
    static final class FetchException extends IOException {
        final boolean permanent;

        FetchException(String message, boolean permanent, Throwable cause) {
            super(message, cause);
            this.permanent = permanent;
        }
    }

    private final HttpClient client;
    private final Duration readTimeout;
    private final int attempts;
    private final Duration backoff;
    private final PrintStream log;

    /**
     * @param connectTimeout limit for opening the connection
     * @param readTimeout    limit for waiting for response headers, and for any stretch without body bytes
     * @param attempts       tries per download (≥ 1); mid-transfer failures are retried, resuming the partial file
     * @param backoff        pause before the second try; doubled before each later one
     * @param log            progress messages (may be null)
     */
    Downloader(Duration connectTimeout, Duration readTimeout, int attempts, Duration backoff, PrintStream log) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be ≥ 1, got " + attempts);
        }
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.readTimeout = readTimeout;
        this.attempts = attempts;
        this.backoff = backoff;
        this.log = log;
    }

    /** The partial file used while downloading {@code target}. */
    static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".partial");
    }

    /**
     * Downloads {@code uri} to {@code target} (atomically; the target never holds a partial or unchecked file).
     *
     * @throws ChecksumMismatchException when the complete download fails {@code check}
     * @throws FetchException            when the server cannot be reached or keeps failing
     */
    void download(URI uri, Path target, ContentCheck check) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path partial = partialOf(target);
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                transfer(uri, partial);
                last = null;
                break;
            } catch (FetchException e) {
                last = e;
                if (e.permanent) {
                    throw e;
                }
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                last = e;
            }
            if (attempt < attempts) {
                long pause = backoff.toMillis() << Math.min(20, attempt - 1);
                say("  " + uri + ": " + last.getMessage() + "; retrying in " + pause + " ms (attempt "
                        + (attempt + 1) + " of " + attempts + ")");
                sleep(pause);
            }
        }
        if (last != null) {
            throw new FetchException("gave up after " + attempts + " attempt(s): " + last.getMessage(), false, last);
        }
        Mismatch mismatch = check.check(partial);
        if (mismatch != null) {
            Files.deleteIfExists(partial);
            throw new ChecksumMismatchException(target, mismatch.algorithm(), mismatch.expected(), mismatch.actual());
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** One HTTP exchange that appends to (206) or rewrites (200) the partial file. */
    private void transfer(URI uri, Path partial) throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(readTimeout).GET()
                .header("User-Agent", "featurealign-data");
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
            say("  resuming " + uri + " from byte " + have);
        } else {
            say("  fetching " + uri);
        }
        AtomicReference<FileSink> sinkRef = new AtomicReference<>();
        AtomicReference<String> badRange = new AtomicReference<>();
        HttpResponse.BodyHandler<Long> handler = info -> {
            int status = info.statusCode();
            boolean resume = status == 206 && have > 0;
            if (resume) {
                String range = info.headers().firstValue("Content-Range").orElse("");
                if (!range.startsWith("bytes " + have + "-")) {
                    badRange.set(range);
                    return HttpResponse.BodySubscribers.replacing(-1L);
                }
            }
            if (status != 200 && !resume) {
                return HttpResponse.BodySubscribers.replacing(-1L);
            }
            try {
                FileSink sink = new FileSink(partial, resume);
                sinkRef.set(sink);
                return sink;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        CompletableFuture<HttpResponse<Long>> pending = client.sendAsync(request.build(), handler);
        long started = System.nanoTime();
        HttpResponse<Long> response;
        try {
            while (true) {
                try {
                    response = pending.get(Math.max(10, Math.min(1000, readTimeout.toMillis() / 4)),
                            TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    FileSink sink = sinkRef.get();
                    long lastProgress = sink == null ? started : sink.lastProgressNanos;
                    if (System.nanoTime() - lastProgress > readTimeout.toNanos()) {
                        pending.cancel(true);
                        throw new IOException("no data for " + readTimeout.toMillis() + " ms (read timeout)");
                    }
                } catch (ExecutionException e) {
                    throw classify(uri, e.getCause());
                }
            }
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching " + uri);
        } finally {
            FileSink sink = sinkRef.get();
            if (sink != null) {
                sink.close();
            }
        }
        int status = response.statusCode();
        if (badRange.get() != null) {
            Files.deleteIfExists(partial); // cannot append safely; start over on the next try
            throw new IOException("server resumed at '" + badRange.get() + "', expected byte " + have);
        }
        if (status == 416 && have > 0) {
            return; // the partial file is probably complete already: the content check decides
        }
        if (status != 200 && status != 206) {
            throw new FetchException("HTTP " + status, status != 429 && status < 500 /* no retry */, null);
        }
        long expected = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        long received = response.body();
        if (expected >= 0 && received != expected) {
            throw new IOException("connection closed after " + received + " of " + expected + " bytes");
        }
    }

    private static IOException classify(URI uri, Throwable cause) {
        if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException) {
            return new FetchException("cannot connect (" + cause
                    + (cause.getCause() != null ? ": " + cause.getCause() : "") + ")", true, cause);
        }
        if (cause instanceof UncheckedIOException u) {
            return u.getCause();
        }
        if (cause instanceof IOException io) {
            return io;
        }
        return new IOException(String.valueOf(cause), cause);
    }

    private void say(String message) {
        if (log != null) {
            log.println(message);
        }
    }

    private static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during retry backoff");
        }
    }

    /**
     * Writes body bytes to the partial file as they arrive. {@link #close()} stops it for good, so a late
     * callback from an abandoned exchange can never write into a file that a retry is using.
     */
    private static final class FileSink implements HttpResponse.BodySubscriber<Long> {
        private final FileChannel channel;
        private final CompletableFuture<Long> result = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private long written;
        private boolean closed;
        volatile long lastProgressNanos = System.nanoTime();

        FileSink(Path partial, boolean append) throws IOException {
            this.channel = append
                    ? FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                    : FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public CompletionStage<Long> getBody() {
            return result;
        }

        @Override
        public synchronized void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (closed) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            synchronized (this) {
                if (closed) {
                    subscription.cancel();
                    return;
                }
                try {
                    for (ByteBuffer buffer : items) {
                        while (buffer.hasRemaining()) {
                            written += channel.write(buffer);
                        }
                    }
                } catch (IOException e) {
                    subscription.cancel();
                    result.completeExceptionally(e);
                    return;
                }
                lastProgressNanos = System.nanoTime();
            }
            subscription.request(1);
        }

        @Override
        public synchronized void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public synchronized void onComplete() {
            result.complete(written);
        }

        synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                if (subscription != null && !result.isDone()) {
                    subscription.cancel();
                }
                channel.close();
            }
        }
    }
}
