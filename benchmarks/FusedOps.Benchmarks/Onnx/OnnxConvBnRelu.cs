using System;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks.Onnx;

/// <summary>
/// ONNX Runtime as a peer for <c>Frozen.Infer</c> of <see cref="ConvBnReluBlock"/>: the same
/// Conv → BatchNormalization → Relu graph (opset 13) with the model's state as initializers,
/// built in code, run by one intra-op thread with full graph optimisation (ONNX Runtime folds the
/// BatchNorm and fuses the ReLU itself). Input and output are bound to the workload's arrays, so a
/// run allocates nothing.
/// </summary>
public sealed class OnnxConvBnRelu : IDisposable
{
    private const int FloatType = 1;        // TensorProto.DataType.FLOAT
    private const int AttributeFloat = 1;   // AttributeProto.AttributeType
    private const int AttributeInts = 7;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly string[] _inputNames = ["x"];
    private readonly string[] _outputNames = ["y"];

    /// <summary>Builds the ONNX model from <paramref name="model"/>'s parameters and buffers.</summary>
    /// <param name="model">A <see cref="ConvBnReluBlock"/>.</param>
    /// <param name="input">Input batch, NCHW; bound, not copied.</param>
    /// <param name="output">Output batch, NCHW; bound, not copied.</param>
    /// <param name="batch">Samples in the batch.</param>
    public OnnxConvBnRelu(IFusedModel model, float[] input, float[] output, int batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelBytes = BuildModel(model, batch);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(ModelBytes, options);
        _inputs = [OrtValue.CreateTensorValueFromMemory(input, Shape(batch, model.InputShapeArray))];
        _outputs = [OrtValue.CreateTensorValueFromMemory(output, Shape(batch, model.OutputShapeArray))];
    }

    /// <summary>The serialized ONNX ModelProto.</summary>
    public byte[] ModelBytes { get; }

    /// <summary>ONNX Runtime's version string.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Runs the graph on the bound input, writing the bound output.</summary>
    public void Infer() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <inheritdoc/>
    public void Dispose()
    {
        _inputs[0].Dispose();
        _outputs[0].Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static long[] Shape(int batch, int[] perSample) => [batch, .. Array.ConvertAll(perSample, d => (long)d)];

    private static byte[] BuildModel(IFusedModel model, int batch)
    {
        Parameter weight = model.Parameters["0.weight"];
        long[] inputShape = Shape(batch, model.InputShapeArray);
        long[] outputShape = Shape(batch, model.OutputShapeArray);
        return new ProtoWriter()
            .Int(1, 7)                                       // ir_version 7 (opset 13 era)
            .String(2, "FusedOps.Benchmarks")                // producer_name
            .Message(8, op => op.String(1, "").Int(2, 13))   // opset_import: default domain, version 13
            .Message(7, graph => graph                       // graph
                .Message(1, node => node                     // node: Conv(x, W, B) -> conv
                    .String(1, "x").String(1, "0.weight").String(1, "0.bias").String(2, "conv")
                    .String(3, "conv").String(4, "Conv")
                    .Message(5, a => a.String(1, "kernel_shape").PackedInts(8, [weight.Shape[2], weight.Shape[3]]).Int(20, AttributeInts))
                    .Message(5, a => a.String(1, "pads").PackedInts(8, [1, 1, 1, 1]).Int(20, AttributeInts))
                    .Message(5, a => a.String(1, "strides").PackedInts(8, [1, 1]).Int(20, AttributeInts)))
                .Message(1, node => node                     // node: BatchNormalization(conv, γ, β, mean, var) -> bn
                    .String(1, "conv").String(1, "1.weight").String(1, "1.bias").String(1, "1.running_mean").String(1, "1.running_var")
                    .String(2, "bn").String(3, "bn").String(4, "BatchNormalization")
                    .Message(5, a => a.String(1, "epsilon").Float(2, 1e-5f).Int(20, AttributeFloat)))
                .Message(1, node => node                     // node: Relu(bn) -> y
                    .String(1, "bn").String(2, "y").String(3, "relu").String(4, "Relu"))
                .String(2, "conv_bn_relu")                   // name
                .Message(5, t => Tensor(t, weight))          // initializers
                .Message(5, t => Tensor(t, model.Parameters["0.bias"]))
                .Message(5, t => Tensor(t, model.Parameters["1.weight"]))
                .Message(5, t => Tensor(t, model.Parameters["1.bias"]))
                .Message(5, t => Tensor(t, model.Buffers["1.running_mean"]))
                .Message(5, t => Tensor(t, model.Buffers["1.running_var"]))
                .Message(11, v => ValueInfo(v, "x", inputShape))  // graph input
                .Message(12, v => ValueInfo(v, "y", outputShape))) // graph output
            .ToArray();
    }

    // TensorProto: dims, data_type FLOAT, name, raw_data (little-endian float32, as the memory of every .NET platform ONNX Runtime ships for).
    private static void Tensor(ProtoWriter t, Parameter p) => t
        .PackedInts(1, Array.ConvertAll(p.Shape, d => (long)d))
        .Int(2, FloatType)
        .String(8, p.Name)
        .Bytes(9, MemoryMarshal.AsBytes(p.Data.AsSpan()));

    // ValueInfoProto: name, type { tensor_type { elem_type FLOAT, shape { dim { dim_value } ... } } }.
    private static void ValueInfo(ProtoWriter v, string name, long[] shape) => v
        .String(1, name)
        .Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, FloatType);
            tensor.Message(2, s =>
            {
                foreach (long d in shape)
                {
                    s.Message(1, dim => dim.Int(1, d));
                }
            });
        }));
}
