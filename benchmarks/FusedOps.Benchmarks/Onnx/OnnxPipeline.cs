using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks.Onnx;

/// <summary>
/// ONNX Runtime as a peer for <c>Frozen.Infer</c>: the pipeline's layers as an opset-20 graph
/// (Conv2d → Conv, Linear → Gemm with transB, BatchNorm → BatchNormalization, ReLU → Relu,
/// Flatten → Flatten, LayerNorm → LayerNormalization, GELU → Gelu) with the model's state as initializers, built in code, run with full graph
/// optimisation (ONNX Runtime folds BatchNorm into Conv and fuses the ReLU itself) on a chosen
/// number of intra-op threads. Input and output are bound to the caller's arrays, so a run
/// allocates nothing.
/// </summary>
public sealed class OnnxPipeline : IDisposable
{
    private const int FloatType = 1;        // TensorProto.DataType.FLOAT
    private const int AttributeFloat = 1;   // AttributeProto.AttributeType
    private const int AttributeInt = 2;
    private const int AttributeString = 3;
    private const int AttributeInts = 7;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly string[] _inputNames = ["x"];
    private readonly string[] _outputNames = ["y"];

    /// <summary>Builds the ONNX model from <paramref name="model"/>'s layers, parameters and buffers.</summary>
    /// <param name="model">A generated pipeline with Conv2d, Linear, BatchNorm, ReLU, Flatten, LayerNorm and GELU layers only.</param>
    /// <param name="layers">The pipeline's layer attributes.</param>
    /// <param name="input">Input batch; bound, not copied.</param>
    /// <param name="output">Output batch; bound, not copied.</param>
    /// <param name="batch">Samples in the batch.</param>
    /// <param name="threads">ONNX Runtime's intra-op threads.</param>
    public OnnxPipeline(IFusedModel model, IReadOnlyList<LayerAttribute> layers, float[] input, float[] output, int batch, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ModelBytes = BuildModel(model, layers, batch);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's pool threads spin after each run by default; on a 2-core machine a spinning 2-thread
        // session would steal the core from whatever row is timed next. FusedOps' workers block instead.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
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

    private static byte[] BuildModel(IFusedModel model, IReadOnlyList<LayerAttribute> layers, int batch)
    {
        long[] inputShape = Shape(batch, model.InputShapeArray);
        long[] outputShape = Shape(batch, model.OutputShapeArray);
        return new ProtoWriter()
            .Int(1, 9)                                       // ir_version 9 (opset 20 era)
            .String(2, "FusedOps.Benchmarks")                // producer_name
            .Message(8, op => op.String(1, "").Int(2, 20))   // opset_import: default domain, version 20 (Gelu)
            .Message(7, graph =>                             // graph
            {
                var initializers = new List<Parameter>();
                string x = "x";
                for (int i = 0; i < layers.Count; i++)
                {
                    string p = i.ToString(CultureInfo.InvariantCulture) + ".";
                    string y = i == layers.Count - 1 ? "y" : "t" + i.ToString(CultureInfo.InvariantCulture);
                    List<string> inputs = [x];
                    string opType;
                    Action<ProtoWriter> attributes = _ => { };
                    switch (layers[i])
                    {
                        case Conv2dAttribute conv:
                            opType = "Conv";
                            AddParameters(model, p, inputs, initializers, "weight", "bias");
                            attributes = node => node
                                .Message(5, a => a.String(1, "kernel_shape").PackedInts(8, [conv.KernelSize, conv.KernelSize]).Int(20, AttributeInts))
                                .Message(5, a => a.String(1, "pads").PackedInts(8, [conv.Padding, conv.Padding, conv.Padding, conv.Padding]).Int(20, AttributeInts))
                                .Message(5, a => a.String(1, "strides").PackedInts(8, [conv.Stride, conv.Stride]).Int(20, AttributeInts))
                                .Message(5, a => a.String(1, "dilations").PackedInts(8, [conv.Dilation, conv.Dilation]).Int(20, AttributeInts))
                                .Message(5, a => a.String(1, "group").Int(3, conv.Groups).Int(20, AttributeInt));
                            break;
                        case LinearAttribute:
                            opType = "Gemm";                 // y = x·Wᵀ + b
                            AddParameters(model, p, inputs, initializers, "weight", "bias");
                            attributes = node => node.Message(5, a => a.String(1, "transB").Int(3, 1).Int(20, AttributeInt));
                            break;
                        case BatchNormAttribute bn:
                            opType = "BatchNormalization";
                            AddParameters(model, p, inputs, initializers, "weight", "bias", "running_mean", "running_var");
                            attributes = node => node.Message(5, a => a.String(1, "epsilon").Float(2, bn.Epsilon).Int(20, AttributeFloat));
                            break;
                        case LayerNormAttribute ln:
                            opType = "LayerNormalization";   // over every axis after the batch's, as FusedOps' LayerNorm
                            AddParameters(model, p, inputs, initializers, "weight", "bias");
                            attributes = node => node
                                .Message(5, a => a.String(1, "axis").Int(3, 1).Int(20, AttributeInt))
                                .Message(5, a => a.String(1, "epsilon").Float(2, ln.Epsilon).Int(20, AttributeFloat));
                            break;
                        case GELUAttribute gelu:
                            opType = "Gelu";                 // opset 20
                            attributes = node => node.Message(5, a => a.String(1, "approximate").String(4, gelu.Approximate ? "tanh" : "none").Int(20, AttributeString));
                            break;
                        case ReLUAttribute:
                            opType = "Relu";
                            break;
                        case FlattenAttribute:
                            opType = "Flatten";
                            break;
                        default:
                            throw new NotSupportedException($"layer {i}: {layers[i].GetType().Name} has no ONNX mapping here");
                    }

                    string name = p + opType;
                    graph.Message(1, node =>
                    {
                        foreach (string input in inputs)
                        {
                            node.String(1, input);
                        }

                        node.String(2, y).String(3, name).String(4, opType);
                        attributes(node);
                    });
                    x = y;
                }

                graph.String(2, "pipeline");
                foreach (Parameter initializer in initializers)
                {
                    graph.Message(5, t => Tensor(t, initializer));
                }

                graph.Message(11, v => ValueInfo(v, "x", inputShape)).Message(12, v => ValueInfo(v, "y", outputShape));
            })
            .ToArray();
    }

    // Appends the named tensors of one layer that exist (a layer without bias has no "bias").
    private static void AddParameters(IFusedModel model, string prefix, List<string> inputs, List<Parameter> initializers, params string[] names)
    {
        foreach (string n in names)
        {
            string key = prefix + n;
            Parameter? p = model.Parameters.Contains(key) ? model.Parameters[key] : model.Buffers.Contains(key) ? model.Buffers[key] : null;
            if (p is not null)
            {
                inputs.Add(p.Name);
                initializers.Add(p);
            }
        }
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
