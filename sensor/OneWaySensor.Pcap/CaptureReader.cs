using System.Runtime.InteropServices;
using OneWaySensor.Packets;
using SharpPcap;
using SharpPcap.LibPcap;

namespace OneWaySensor.Pcap;

/// <summary>One packet as libpcap hands it over: valid until the next read.</summary>
public readonly ref struct CapturedPacket(long timeUnixNs, ReadOnlySpan<byte> data, uint wireLength)
{
    /// <summary>The capture's timestamp, nanoseconds since the Unix epoch.</summary>
    public long TimeUnixNs { get; } = timeUnixNs;

    /// <summary>The bytes captured (at most the snap length).</summary>
    public ReadOnlySpan<byte> Data { get; } = data;

    /// <summary>The frame's length on the wire.</summary>
    public uint WireLength { get; } = wireLength;
}

/// <summary>A capture file or a live interface could not be read; the message is one line naming it.</summary>
public sealed class CaptureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Packets from a capture file (pcap or pcapng, whatever libpcap reads) or a
/// live interface, through SharpPcap's libpcap binding. Reading goes through
/// libpcap's own header and data pointers, so nothing is allocated per packet.
/// </summary>
public sealed class CaptureReader : IDisposable
{
    private static readonly TimeSpan IdleNap = TimeSpan.FromMilliseconds(5);

    private readonly PcapDevice device;
    private readonly string name;
    private bool live;

    private CaptureReader(PcapDevice device, string name)
    {
        this.device = device;
        this.name = name;
        LinkType = (LinkType)(int)device.LinkType;
    }

    public LinkType LinkType { get; }

    /// <summary>Packets libpcap dropped (live capture only; 0 for files).</summary>
    public ulong Dropped => device is CaptureFileReaderDevice || device.Statistics is not ICaptureStatistics statistics
        ? 0
        : (ulong)statistics.DroppedPackets + statistics.InterfaceDroppedPackets;

    /// <exception cref="CaptureException">The file is missing, not a capture, or damaged at its start.</exception>
    public static CaptureReader OpenFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new CaptureException($"capture file {path}: not found");
        }

        var device = new CaptureFileReaderDevice(path);
        return Open(device, $"capture file {path}", new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
    }

    /// <exception cref="CaptureException">No such interface, or it cannot be opened (permissions).</exception>
    public static CaptureReader OpenLive(string interfaceName, int snapLength = 262144, int bufferBytes = 8 << 20)
    {
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.New().FirstOrDefault(candidate => candidate.Name == interfaceName);
        }
        catch (Exception error) when (error is PcapException or DllNotFoundException)
        {
            throw new CaptureException($"cannot list capture interfaces: {OneLine(error)}", error);
        }

        if (device is null)
        {
            throw new CaptureException($"capture interface {interfaceName}: no such interface");
        }

        CaptureReader reader = Open(device, $"capture interface {interfaceName}", new DeviceConfiguration
        {
            Snaplen = snapLength,

            // as tcpdump: frames a bridge forwards between its ports reach the capture too
            Mode = DeviceModes.Promiscuous,
            ReadTimeout = 100,
            Immediate = true,
            BufferSize = bufferBytes,
            TimestampResolution = TimestampResolution.Nanosecond,
        });

        // an idle blocking read on Linux can wait past its timeout for ever, and the source must
        // wake to poll: read without blocking, and nap briefly when nothing is there
        device.NonBlockingMode = true;
        reader.live = true;
        return reader;
    }

    /// <summary>
    /// The next packet. False at the end of a file, or when a live capture's
    /// read timeout passed with nothing (<paramref name="ended"/> tells which).
    /// </summary>
    /// <exception cref="CaptureException">The file is damaged past this point (a truncated record, a bad block length).</exception>
    public unsafe bool TryRead(out CapturedPacket packet, out bool ended)
    {
        IntPtr header = IntPtr.Zero;
        IntPtr data = IntPtr.Zero;
        int status = device.GetNextPacketPointers(ref header, ref data);
        packet = default;
        ended = false;
        switch (status)
        {
            case 1:
                // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }: timeval is two longs (32-bit on Windows)
                long seconds;
                long fraction;
                int lengths;
                if (OperatingSystem.IsWindows())
                {
                    seconds = Marshal.ReadInt32(header);
                    fraction = Marshal.ReadInt32(header, 4);
                    lengths = 8;
                }
                else
                {
                    seconds = Marshal.ReadInt64(header);
                    fraction = Marshal.ReadInt64(header, 8);
                    lengths = 16;
                }

                uint captured = (uint)Marshal.ReadInt32(header, lengths);
                uint wire = (uint)Marshal.ReadInt32(header, lengths + 4);
                long nanoseconds = device.TimestampResolution == TimestampResolution.Nanosecond ? fraction : fraction * 1000;
                packet = new CapturedPacket((seconds * 1_000_000_000) + nanoseconds, new ReadOnlySpan<byte>((void*)data, (int)captured), wire);
                return true;
            case 0:
                if (live)
                {
                    Thread.Sleep(IdleNap);
                }

                return false; // nothing yet on a live interface
            case -2:
                ended = true;
                return false;
            default:
                throw new CaptureException($"{name}: {OneLine(device.LastError)}");
        }
    }

    public void Dispose() => device.Dispose();

    private static CaptureReader Open(PcapDevice device, string name, DeviceConfiguration configuration)
    {
        try
        {
            device.Open(configuration);
        }
        catch (Exception error) when (error is PcapException or DllNotFoundException or InvalidOperationException)
        {
            device.Dispose();
            throw new CaptureException($"{name}: {OneLine(error)}", error);
        }

        return new CaptureReader(device, name);
    }

    private static string OneLine(Exception error) => OneLine(error.Message);

    private static string OneLine(string? text) => (text ?? "unknown error").ReplaceLineEndings(" ").Trim();
}
