using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace OneWaySensor.Cli.Export;

/// <summary>
/// One sidecar connected to the export socket. Records wait in a pipe of at
/// most <c>capacity</c> bytes while a thread of the client's own sends them
/// with blocking sends (a stalled client's sends must neither occupy nor
/// wait for the shared thread pool), so a slow reader never holds up the
/// sensor: a record that does not fit is dropped for this client alone and
/// counted, and once there is room again the client first receives a
/// health record saying how many it missed. A client whose buffer stays
/// full for the stall timeout, taking nothing, is disconnected.
/// </summary>
internal sealed class ExportClient
{
    private readonly Socket socket;

    // no pause threshold: the bound is counted here; the writer wakes the sender inline, not through the pool
    private readonly Pipe pipe = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly long capacity;
    private readonly long stallTimeoutTicks;
    private readonly Thread sender;
    private readonly TaskCompletionSource sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long pending;
    private long fullSinceTicks;
    private long missedSinceNotice;
    private int closed;

    public ExportClient(Socket socket, long id, long capacity, TimeSpan stallTimeout)
    {
        this.socket = socket;
        Id = id;
        this.capacity = capacity;
        stallTimeoutTicks = (long)(stallTimeout.TotalSeconds * Stopwatch.Frequency);
        sender = new Thread(SendAll) { IsBackground = true, Name = $"ows-export-{id}" };
        sender.Start();
    }

    public long Id { get; }

    /// <summary>Records this client missed, in all.</summary>
    public long Missed { get; private set; }

    public bool Closed => Volatile.Read(ref closed) != 0;

    /// <summary>True when the client was disconnected for stalling (rather than leaving).</summary>
    public bool CutLoose { get; private set; }

    /// <summary>
    /// Queues one record, or drops it for this client. <paramref name="notice"/>
    /// writes the health record that tells the client what it missed. Called
    /// from the pipeline's one writer thread only.
    /// </summary>
    public void Offer(ReadOnlySpan<byte> record, Action<long, long, IBufferWriter<byte>> notice, ArrayBufferWriter<byte> scratch)
    {
        if (Closed)
        {
            return;
        }

        if (missedSinceNotice > 0)
        {
            scratch.ResetWrittenCount();
            notice(missedSinceNotice, Missed, scratch);
            if (!Fits(scratch.WrittenCount + record.Length))
            {
                Miss();
                return;
            }

            Enqueue(scratch.WrittenSpan);
            missedSinceNotice = 0;
        }

        if (!Fits(record.Length))
        {
            Miss();
            return;
        }

        Enqueue(record);
    }

    /// <summary>
    /// Disconnects the client and waits for its sender to end. Called from
    /// the writer thread, which alone may complete the pipe's writer.
    /// </summary>
    public async Task CloseAsync()
    {
        Close();
        await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        await sent.Task.ConfigureAwait(false);
    }

    /// <summary>At shutdown: sends what is queued (for at most <paramref name="timeout"/>), then disconnects.</summary>
    public async Task DrainAndCloseAsync(TimeSpan timeout)
    {
        await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        if (await Task.WhenAny(sent.Task, Task.Delay(timeout)).ConfigureAwait(false) != sent.Task)
        {
            Close();
        }

        await sent.Task.ConfigureAwait(false);
    }

    private bool Fits(long length) => Interlocked.Read(ref pending) + length <= capacity;

    private void Miss()
    {
        Missed++;
        missedSinceNotice++;
        long now = Stopwatch.GetTimestamp();
        long fullSince = Interlocked.CompareExchange(ref fullSinceTicks, now, 0);
        if (fullSince != 0 && now - fullSince > stallTimeoutTicks)
        {
            CutLoose = true;
            Close();
        }
    }

    private void Enqueue(ReadOnlySpan<byte> bytes)
    {
        PipeWriter writer = pipe.Writer;
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
        Interlocked.Add(ref pending, bytes.Length);

        // with no pause threshold the flush completes at once: it only wakes the sender
        ValueTask<FlushResult> flush = writer.FlushAsync();
        if (flush.IsCompleted)
        {
            _ = flush.Result;
        }
        else
        {
            _ = flush.AsTask();
        }
    }

    /// <summary>Any thread: marks the client gone and ends a send it is not taking.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) == 0)
        {
            socket.Dispose();
        }
    }

    private void SendAll()
    {
        PipeReader reader = pipe.Reader;
        try
        {
            while (true)
            {
                ReadResult result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    for (int done = 0; done < segment.Length;)
                    {
                        done += socket.Send(segment.Span[done..]);
                    }

                    Interlocked.Add(ref pending, -segment.Length);
                    Interlocked.Exchange(ref fullSinceTicks, 0); // it takes what it is sent
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or IOException)
        {
            // the client left, or was cut loose
        }
        finally
        {
            Close();
            reader.Complete();
            sent.TrySetResult();
        }
    }
}
