using System.Net;
using OneWaySensor.Flows;
using OneWaySensor.Packets;

namespace OneWaySensor.Tests.Packets;

/// <summary>Parses a frame and compares whole layers, every field, with a readable difference when they differ.</summary>
internal static class LayerAssert
{
    public static UInt128 Address(string address) => FlowAddress.FromIPAddress(IPAddress.Parse(address));

    public static PacketLayers Parse(byte[] frame, LinkType linkType, PacketParseResult expected = PacketParseResult.Ip, bool verifyChecksums = false)
    {
        var layers = default(PacketLayers);
        Assert.Equal(expected, PacketParser.Parse(frame, linkType, ref layers, verifyChecksums));
        return layers;
    }

    /// <summary>The frame parses to exactly these layers, outermost first.</summary>
    public static void Layers(byte[] frame, LinkType linkType, params IpLayer[] expected) => Layers(Parse(frame, linkType), expected);

    public static void Layers(PacketLayers actual, params IpLayer[] expected) =>
        Assert.Equal(
            string.Join("\n", expected.Select(Describe)),
            string.Join("\n", Enumerable.Range(0, actual.Count).Select(i => Describe(actual.Layers[i]))));

    public static string Describe(IpLayer layer) =>
        $"v{layer.IpVersion} proto={layer.Protocol} {FlowAddress.ToIPAddress(layer.Source, layer.IpVersion)}:{layer.SourcePort} > " +
        $"{FlowAddress.ToIPAddress(layer.Destination, layer.IpVersion)}:{layer.DestinationPort} ip={layer.IpBytes} payload={layer.PayloadBytes} " +
        $"tcp=[{layer.TcpFlags:x2} seq={layer.TcpSequence} ack={layer.TcpAcknowledgment}] transport={layer.HasTransportHeader} " +
        $"fragment=[{layer.IsFragment} more={layer.MoreFragments} offset={layer.FragmentOffset} id={layer.FragmentId}] " +
        $"checksum=[checked={layer.ChecksumChecked} valid={layer.ChecksumValid}] carries={layer.Carries}";
}
