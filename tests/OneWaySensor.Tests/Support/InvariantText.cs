using System.Globalization;

namespace OneWaySensor.Tests.Support;

/// <summary>Numbers as command-line arguments take them, whatever the test host's culture.</summary>
internal static class InvariantText
{
    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
