using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedOps.Reference;

public sealed partial class ReferenceModel
{
    /// <summary>
    /// The forward pass entirely in double, for gradient checks: no rounding to float anywhere.
    /// Pure apart from saving the pass for <see cref="BackwardDouble"/> and <see cref="Backward"/>:
    /// it updates no running statistics and does not advance the training random stream.
    /// </summary>
    /// <param name="input"><paramref name="batch"/> × <see cref="IInferenceModel.InputLength"/> values.</param>
    /// <param name="batch">Samples in the batch, at least 1.</param>
    /// <param name="training">Training mode (batch statistics, dropout) or eval mode.</param>
    /// <param name="state">
    /// Double values to use instead of the float32 data of the named parameters or buffers, e.g.
    /// a parameter perturbed by a finite-difference step; null or missing names use the model's own.
    /// </param>
    /// <returns>The output, <paramref name="batch"/> × <see cref="IInferenceModel.OutputLength"/> values.</returns>
    /// <exception cref="ArgumentException">A length is wrong or a state name is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">A training-mode BatchNorm would see one value per channel.</exception>
    public double[] ForwardDouble(double[] input, int batch, bool training, IReadOnlyDictionary<string, double[]>? state = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateBatch(batch, training, nameof(batch));
        ValidateLength(input.Length, batch, InputLength, nameof(input));
        if (state is not null)
        {
            foreach ((string name, double[] values) in state)
            {
                Parameter target = Parameters.TryGet(name, out Parameter p) ? p
                    : Buffers.TryGet(name, out Parameter b) ? b
                    : throw new ArgumentException($"state names '{name}', which is neither a parameter nor a buffer. Names: {string.Join(", ", Parameters.Names.Concat(Buffers.Names))}.", nameof(state));
                if (values is null || values.Length != target.Length)
                {
                    throw new ArgumentException($"state['{name}'] must hold {target.Length} values (shape {target.ShapeText}), got {values?.Length ?? 0}.", nameof(state));
                }
            }
        }

        _last = Run((double[])input.Clone(), batch, training, state);
        return (double[])_last.Output.Clone();
    }

    /// <summary>
    /// The gradient, in double, of L = sum(output · <paramref name="outputGradient"/>) for the last
    /// forward pass, with respect to the input and every parameter (keyed by state-dict name).
    /// Unlike <see cref="Backward"/> it does not touch <see cref="Parameter.Grad"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    /// <exception cref="ArgumentException"><paramref name="outputGradient"/> has the wrong length.</exception>
    public (double[] InputGrad, IReadOnlyDictionary<string, double[]> ParamGrads) BackwardDouble(double[] outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        Pass pass = LastPass();
        ValidateLength(outputGradient.Length, pass.Batch, OutputLength, nameof(outputGradient));
        (double[] gradInput, double[][][] gradParameters) = BackwardCore(pass, (double[])outputGradient.Clone());
        var byName = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int i = 0; i < _layers.Length; i++)
        {
            for (int p = 0; p < gradParameters[i].Length; p++)
            {
                byName.Add(_layers[i].Parameters[p].Name, gradParameters[i][p]);
            }
        }

        return (gradInput, byName);
    }

    /// <summary>One forward pass: what each layer saw and saved, and the output.</summary>
    private sealed record Pass(int Batch, LayerContext[] Contexts, BranchStore Branches, double[] Output);

    /// <summary>Runs every layer in double. Reads the model's state but never writes it.</summary>
    private Pass Run(double[] input, int batch, bool training, IReadOnlyDictionary<string, double[]>? state)
    {
        InitRandom? random = training && _usesTrainingRandomness ? TrainingRandom(_trainingForwards) : null;
        var contexts = new LayerContext[_layers.Length];
        var branches = new BranchStore();
        double[] x = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            RefLayer layer = _layers[i];
            contexts[i] = new LayerContext(batch, training, AsDouble(layer.Parameters, state), AsDouble(layer.Buffers, state), random)
            {
                Input = x,
                Branches = branches,
            };
            x = layer.Forward(contexts[i], x);
        }

        return new Pass(batch, contexts, branches, x);
    }

    /// <summary>
    /// Backpropagates through every layer; returns the input gradient and each layer's parameter
    /// gradients. A layer that uses a saved tensor sends its gradient to the name; the
    /// <c>Save</c> layer, reached later in this reverse order, adds it to the main path's.
    /// </summary>
    private (double[] InputGradient, double[][][] ParameterGradients) BackwardCore(Pass pass, double[] outputGradient)
    {
        pass.Branches.ClearGradients();
        var gradParameters = new double[_layers.Length][][];
        double[] g = outputGradient;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            gradParameters[i] = _layers[i].Parameters.Select(p => new double[p.Length]).ToArray();
            g = _layers[i].Backward(pass.Contexts[i], g, gradParameters[i]);
        }

        return (g, gradParameters);
    }

    private static double[][] AsDouble(IReadOnlyList<Parameter> tensors, IReadOnlyDictionary<string, double[]>? state) =>
        tensors.Select(t => state is not null && state.TryGetValue(t.Name, out double[]? values)
            ? (double[])values.Clone()
            : RefMath.ToDouble(t.Data)).ToArray();

    /// <summary>The stream of training forward number <paramref name="step"/>: the generated code's, <see cref="Kernels.Dropout.Stream"/>.</summary>
    private InitRandom TrainingRandom(int step) => Kernels.Dropout.Stream(_seed, step);
}
