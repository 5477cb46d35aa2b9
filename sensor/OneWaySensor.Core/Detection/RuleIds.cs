namespace OneWaySensor.Detection;

/// <summary>Rule names as they appear in alerts, and their bits in <see cref="Flows.FlowState.RaisedRules"/>.</summary>
public static class RuleIds
{
    public const string OneWayFlow = "one_way_flow";
    public const uint OneWayFlowBit = 1u << 0;
}
