using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using FusedOps.Benchmarks.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks;

/// <summary>
/// <c>--quick</c>: every case timed with a Stopwatch in this one process (no BenchmarkDotNet), in
/// well under a minute; see <see cref="QuickTable"/> for how each case is timed.
/// </summary>
internal static class QuickBenchmark
{
    private const double Floor = 30; // the issue's floor: Frozen.Infer at least 30× the reference

    public static int Run()
    {
        var total = System.Diagnostics.Stopwatch.StartNew();
        int widest = KernelOptions.MaxVectorBits;
        Console.WriteLine("FusedOps quick benchmark: Stopwatch, median of several samples per case, one thread, every number from this run.");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {CpuName()}, {Environment.ProcessorCount} logical cores; kernel level {Level(widest)} (the widest this CPU has)");
        Console.WriteLine();

        // The issue's case, at every kernel level, with ONNX Runtime as a peer.
        Workload conv = Workload.ConvBnRelu();
        var table = new QuickTable(conv);
        double reference = table.Add("Reference.Infer", conv.ReferenceInfer, conv.InferenceFlops, baseline: null);
        float[] expected = Capture(conv, conv.ReferenceInfer);
        double frozen = 0;
        foreach (int bits in new[] { 512, 256, 0 }.Where(b => b <= widest))
        {
            KernelOptions.MaxVectorBits = bits;
            double seconds = table.Add($"Frozen.Infer ({Level(bits)})", conv.FrozenInfer, conv.InferenceFlops, reference);
            frozen = bits == widest ? seconds : frozen;
            table.Check($"Frozen.Infer ({Level(bits)})", expected, Capture(conv, conv.FrozenInfer));
        }

        KernelOptions.MaxVectorBits = widest;
        table.Add($"Infer ({Level(widest)})", conv.Infer, conv.InferenceFlops, reference);
        table.Check("Infer", expected, Capture(conv, conv.Infer));
        AddOnnx(table, conv, reference, expected);
        double referenceStep = table.Add("Reference Forward+Backward", conv.ReferenceTrainingStep, conv.TrainingFlops, baseline: null);
        table.Add($"Forward+Backward ({Level(widest)})", conv.TrainingStep, conv.TrainingFlops, referenceStep);
        table.PrintChecks("reference Infer");
        double floorRatio = reference / frozen;

        // The sample's network.
        Workload cnn = Workload.TwoBlockCnn();
        table = new QuickTable(cnn);
        reference = table.Add("Reference.Infer", cnn.ReferenceInfer, cnn.InferenceFlops, baseline: null);
        expected = Capture(cnn, cnn.ReferenceInfer);
        table.Add($"Frozen.Infer ({Level(widest)})", cnn.FrozenInfer, cnn.InferenceFlops, reference);
        table.Check($"Frozen.Infer ({Level(widest)})", expected, Capture(cnn, cnn.FrozenInfer));
        referenceStep = table.Add("Reference Forward+Backward", cnn.ReferenceTrainingStep, cnn.TrainingFlops, baseline: null);
        table.Add($"Forward+Backward ({Level(widest)})", cnn.TrainingStep, cnn.TrainingFlops, referenceStep);
        table.PrintChecks("reference Infer");

        Console.WriteLine($"Issue floor, Conv+BN+ReLU Frozen.Infer ≥ {Floor}× the reference: {floorRatio:F0}× measured, {(floorRatio >= Floor ? "met" : "NOT MET")}.");
        Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F1} s.");
        return floorRatio >= Floor ? 0 : 1;
    }

    private static void AddOnnx(QuickTable table, Workload conv, double reference, float[] expected)
    {
        float[] output = new float[conv.Batch * conv.Model.OutputLength];
        try
        {
            using var onnx = new OnnxConvBnRelu(conv.Model, conv.Input, output, conv.Batch);
            table.Add($"ONNX Runtime {OnnxConvBnRelu.RuntimeVersion} (1 thread)", onnx.Infer, conv.InferenceFlops, reference);
            table.Check("ONNX Runtime", expected, output);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            // A peer, not the subject: a machine without ONNX Runtime's native library still gets the table.
            Console.WriteLine($"  ONNX Runtime skipped: {e.GetType().Name}: {e.Message}");
        }
    }

    // Runs one call and returns a copy of its output.
    private static float[] Capture(Workload workload, Action run)
    {
        run();
        return workload.Output.ToArray();
    }

    private static string Level(int bits) => bits == 0 ? "scalar" : $"Vector{bits}";

    private static string CpuName()
    {
        const string cpuInfo = "/proc/cpuinfo";
        string? line = File.Exists(cpuInfo) ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
