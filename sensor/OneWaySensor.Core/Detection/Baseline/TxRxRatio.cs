using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// The shape of one outbound flow: how its sent payload compares with its
/// received payload, in decades of tx/rx. The two ends are the flows that
/// only received and the one-way flows that only sent.
/// </summary>
public enum TxRxRatio
{
    /// <summary>No payload either way (an unanswered connect, an empty ping).</summary>
    NoPayload,

    /// <summary>Received payload and sent none.</summary>
    RxOnly,

    /// <summary>tx/rx below 0.01: a download.</summary>
    BelowHundredth,

    /// <summary>tx/rx from 0.01 to below 0.1.</summary>
    BelowTenth,

    /// <summary>tx/rx from 0.1 to below 1: more received than sent.</summary>
    BelowOne,

    /// <summary>tx/rx from 1 to below 10: a request and answer of like size, or more sent.</summary>
    BelowTen,

    /// <summary>tx/rx from 10 to below 100.</summary>
    BelowHundred,

    /// <summary>tx/rx of 100 or more, with some reply: an upload.</summary>
    HundredOrMore,

    /// <summary>Sent payload and received none: one-way.</summary>
    TxOnly,
}

/// <summary>Classifies flows into <see cref="TxRxRatio"/> buckets.</summary>
public static class TxRxRatios
{
    /// <summary>How many buckets there are.</summary>
    public const int Count = (int)TxRxRatio.TxOnly + 1;

    /// <summary>Bucket names as they appear in evidence and in the store.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["no_payload", "rx_only", "below_0.01", "below_0.1", "below_1", "below_10", "below_100", "at_least_100", "tx_only"];

    public static TxRxRatio Of(in FlowState flow) => Of(flow.Tx.PayloadBytes, flow.Rx.PayloadBytes);

    public static TxRxRatio Of(ulong txPayload, ulong rxPayload)
    {
        if (rxPayload == 0)
        {
            return txPayload == 0 ? TxRxRatio.NoPayload : TxRxRatio.TxOnly;
        }

        if (txPayload == 0)
        {
            return TxRxRatio.RxOnly;
        }

        // compare without division: tx < rx * k, in 128 bits so nothing overflows
        UInt128 tx = txPayload;
        UInt128 rx = rxPayload;
        return tx * 100 < rx ? TxRxRatio.BelowHundredth
            : tx * 10 < rx ? TxRxRatio.BelowTenth
            : tx < rx ? TxRxRatio.BelowOne
            : tx < rx * 10 ? TxRxRatio.BelowTen
            : tx < rx * 100 ? TxRxRatio.BelowHundred
            : TxRxRatio.HundredOrMore;
    }
}
