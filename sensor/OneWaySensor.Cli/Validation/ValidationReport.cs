namespace OneWaySensor.Cli.Validation;

/// <summary>The checks of one validation run and whether each passed; printed one per line.</summary>
internal sealed class ValidationReport
{
    private readonly List<(string Check, bool Passed, string Detail)> checks = [];

    public bool Passed => checks.Count > 0 && checks.All(check => check.Passed);

    public void Add(string check, bool passed, string detail) => checks.Add((check, passed, detail));

    public void WriteTo(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach ((string check, bool passed, string detail) in checks)
        {
            output.WriteLine($"{(passed ? "PASS" : "FAIL")}  {check}: {detail}");
        }

        output.WriteLine(Passed
            ? $"validation passed: {checks.Count} of {checks.Count} checks (ADS T1102.003 adversary emulation detected)"
            : $"validation FAILED: {checks.Count(c => !c.Passed)} of {checks.Count} checks failed");
    }
}
