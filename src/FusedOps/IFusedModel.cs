using System;

namespace FusedOps;

/// <summary>
/// A model that runs inference on batches of contiguous row-major samples. Implemented by every
/// generated <c>Frozen</c> class, by every pipeline, and by the reference interpreter.
/// </summary>
public interface IInferenceModel
{
    /// <summary>Elements per input sample.</summary>
    int InputLength { get; }

    /// <summary>Elements per output sample.</summary>
    int OutputLength { get; }

    /// <summary>Inference (eval mode) on <paramref name="batchSize"/> samples.</summary>
    void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize);
}

/// <summary>
/// A trainable pipeline: the members every generated pipeline class has (see API.md), as an
/// interface so that training loops, loaders and tests can work on any of them. The generated
/// class implements it; so does <see cref="Reference.ReferenceModel"/>.
/// </summary>
public interface IFusedModel : IInferenceModel
{
    /// <summary>Per-sample input shape.</summary>
    int[] InputShapeArray { get; }

    /// <summary>Per-sample output shape.</summary>
    int[] OutputShapeArray { get; }

    /// <summary>Learnable tensors, in state-dict order.</summary>
    ParameterList Parameters { get; }

    /// <summary>Running statistics, in state-dict order.</summary>
    ParameterList Buffers { get; }

    /// <summary>Training-mode forward pass; saves what <see cref="Backward"/> needs.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>Gradient of sum(output · outputGradient) for the last <see cref="Forward"/>; parameter gradients accumulate.</summary>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>
    /// An immutable inference model of the current state (BatchNorm folded where the model can fold it);
    /// training this model afterwards does not change it, and any number of threads may call it at once.
    /// Generated classes return their <c>Frozen</c> type from their public <c>Freeze()</c>.
    /// </summary>
    IInferenceModel Freeze();
}
