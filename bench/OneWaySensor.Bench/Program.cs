using BenchmarkDotNet.Running;

namespace OneWaySensor.Bench;

/// <summary>Runs the benchmarks chosen by the arguments (for example <c>--filter '*RecordDispatch*'</c>).</summary>
public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
