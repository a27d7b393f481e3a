using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using FusedOps.Benchmarks.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks;

/// <summary>
/// <c>--quick</c>: every case timed with a Stopwatch in this one process (no BenchmarkDotNet), in
/// well under a minute; see <see cref="QuickTable"/> for how.
/// </summary>
internal static class QuickBenchmark
{
    private const double Floor = 30; // the issue's floor: Frozen.Infer at least 30× the reference

    public static int Run()
    {
        int widest = KernelOptions.MaxVectorBits;
        Console.WriteLine("FusedOps quick benchmark: Stopwatch, median of 5 samples per case taken round-robin, one thread, every number from this run.");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {CpuName()}, {Environment.ProcessorCount} logical cores; kernel level {Level(widest)} (the widest this CPU has)");
        Console.WriteLine();

        // The issue's case, at every kernel level, with ONNX Runtime as a peer.
        Workload conv = Workload.ConvBnRelu();
        var table = new QuickTable(conv);
        QuickTable.Case reference = table.Add("Reference.Infer", conv.ReferenceInfer, conv.InferenceFlops, baseline: null, widest);
        float[] expected = Capture(conv, conv.ReferenceInfer);
        QuickTable.Case? frozen = null;
        foreach (int bits in new[] { 512, 256, 0 }.Where(b => b <= widest))
        {
            QuickTable.Case c = table.Add($"Frozen.Infer ({Level(bits)})", conv.FrozenInfer, conv.InferenceFlops, reference, bits);
            frozen ??= c;
            KernelOptions.MaxVectorBits = bits;
            table.Check($"Frozen.Infer ({Level(bits)})", expected, Capture(conv, conv.FrozenInfer));
        }

        KernelOptions.MaxVectorBits = widest;
        table.Add($"Infer ({Level(widest)})", conv.Infer, conv.InferenceFlops, reference, widest);
        table.Check("Infer", expected, Capture(conv, conv.Infer));
        using OnnxConvBnRelu? onnx = AddOnnx(table, conv, reference, expected, widest);
        QuickTable.Case referenceStep = table.Add("Reference Forward+Backward", conv.ReferenceTrainingStep, conv.TrainingFlops, baseline: null, widest);
        table.Add($"Forward+Backward ({Level(widest)})", conv.TrainingStep, conv.TrainingFlops, referenceStep, widest);
        table.Measure();
        double floorRatio = reference.Seconds / frozen!.Seconds;

        // The sample's network.
        Workload cnn = Workload.TwoBlockCnn();
        table = new QuickTable(cnn);
        reference = table.Add("Reference.Infer", cnn.ReferenceInfer, cnn.InferenceFlops, baseline: null, widest);
        expected = Capture(cnn, cnn.ReferenceInfer);
        table.Add($"Frozen.Infer ({Level(widest)})", cnn.FrozenInfer, cnn.InferenceFlops, reference, widest);
        table.Check($"Frozen.Infer ({Level(widest)})", expected, Capture(cnn, cnn.FrozenInfer));
        referenceStep = table.Add("Reference Forward+Backward", cnn.ReferenceTrainingStep, cnn.TrainingFlops, baseline: null, widest);
        table.Add($"Forward+Backward ({Level(widest)})", cnn.TrainingStep, cnn.TrainingFlops, referenceStep, widest);
        table.Measure();

        Console.WriteLine($"Issue floor, Conv+BN+ReLU Frozen.Infer ≥ {Floor}× the reference: {floorRatio:F0}× measured, {(floorRatio >= Floor ? "met" : "NOT MET")}.");
        Console.WriteLine();
        return floorRatio >= Floor ? 0 : 1;
    }

    private static OnnxConvBnRelu? AddOnnx(QuickTable table, Workload conv, QuickTable.Case reference, float[] expected, int vectorBits)
    {
        float[] output = new float[conv.Batch * conv.Model.OutputLength];
        try
        {
            var onnx = new OnnxConvBnRelu(conv.Model, conv.Input, output, conv.Batch);
            table.Add($"ONNX Runtime {OnnxConvBnRelu.RuntimeVersion} (1 thread)", onnx.Infer, conv.InferenceFlops, reference, vectorBits);
            onnx.Infer();
            table.Check("ONNX Runtime", expected, output);
            return onnx;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            // A peer, not the subject: a machine without ONNX Runtime's native library still gets the table.
            Console.WriteLine($"ONNX Runtime skipped: {e.GetType().Name}: {e.Message}");
            return null;
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
