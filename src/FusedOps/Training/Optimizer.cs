using System;
using System.Collections.Generic;
using System.IO;
using FusedOps.Serialization;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// What every optimiser shares: the parameters, the learning rate (settable, for schedules), the
/// per-parameter state, <see cref="Step"/>, <see cref="ZeroGrad"/>, and saving/loading the state as
/// safetensors. Each optimiser updates every tensor in one fused vector pass per step.
/// </summary>
/// <remarks>
/// The state file holds, per parameter that has state, <c>state/{parameter name}/{key}</c> with
/// PyTorch's <c>optimizer.state_dict()</c> keys (<c>step</c> as a float32 scalar, the buffers as F32
/// tensors of the parameter's shape), and in <c>__metadata__</c> the optimiser's class name and its
/// hyperparameters under PyTorch's names (<c>lr</c>, <c>betas</c>, <c>eps</c>, ...).
/// </remarks>
public abstract class Optimizer
{
    private const string StatePrefix = "state/";
    private const string StepKey = "step";
    private const string OptimizerKey = "optimizer";
    private const string LearningRateKey = "lr";

    private readonly Parameter[] _parameters;
    private readonly string[] _stateNames;
    private readonly bool _countsSteps;
    private float[]?[][] _state;
    private long[] _steps;
    private float _learningRate;

    /// <summary>Checks the parameters and the learning rate and sets up empty (lazy) state.</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="stateNames">PyTorch's names of the per-parameter buffers, in slot order.</param>
    /// <param name="countsSteps">Whether PyTorch keeps a per-parameter <c>step</c> for this optimiser.</param>
    private protected Optimizer(ParameterList parameters, float learningRate, string[] stateNames, bool countsSteps)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckNonNegative(learningRate, nameof(learningRate));
        foreach (Parameter p in parameters)
        {
            if (!p.HasGrad)
            {
                throw new ArgumentException($"Tensor '{p.Name}' {p.ShapeText} has no gradient (is it a buffer?); {GetType().Name} needs learnable parameters only.", nameof(parameters));
            }
        }

        Parameters = parameters;
        _parameters = [.. parameters];
        _stateNames = stateNames;
        _countsSteps = countsSteps;
        _state = NewState();
        _steps = new long[_parameters.Length];
        _learningRate = learningRate;
    }

    /// <summary>The tensors this optimiser updates.</summary>
    public ParameterList Parameters { get; }

    /// <summary>Step size, used from the next <see cref="Step"/> on; finite and ≥ 0 (schedules set it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or NaN.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            CheckNonNegative(value, nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>
    /// Number of steps taken (PyTorch's <c>state["step"]</c>, restored by <see cref="LoadState(string)"/>;
    /// SGD keeps no step in its state, as in PyTorch, so it counts from 0 again after a load).
    /// </summary>
    public long StepCount => _steps.Length == 0 ? 0 : _steps[0];

    /// <summary>Updates every parameter from its current gradient, in PyTorch's order of operations.</summary>
    public void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            _steps[i]++;
            Update(i, _parameters[i].Data, _parameters[i].Grad, _steps[i]);
        }
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad() => Parameters.ZeroGrad();

    /// <summary>Writes the state (see the class remarks) to a safetensors file, replacing it.</summary>
    public void SaveState(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensorsFile.Save(path, StateTensors(), StateMetadata());
    }

    /// <summary>Writes the state as safetensors to <paramref name="stream"/>.</summary>
    public void WriteState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensorsFile.Write(stream, StateTensors(), StateMetadata());
    }

    /// <summary>Replaces the state and the learning rate with those saved by <see cref="SaveState"/>.</summary>
    /// <exception cref="ArgumentException">See <see cref="LoadState(SafeTensorsFile)"/>.</exception>
    public void LoadState(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        LoadState(SafeTensorsFile.Load(path));
    }

    /// <summary>
    /// Replaces the state and the learning rate with those in <paramref name="file"/>, as PyTorch's
    /// <c>load_state_dict</c>; training then continues bitwise as if it had not stopped.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The file is from another optimiser or other fixed hyperparameters, names a parameter or key
    /// this optimiser does not have, or a tensor has the wrong shape. The message names the key, what
    /// was expected and what the file has; nothing is changed then.
    /// </exception>
    public void LoadState(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        CheckMetadata(file.Metadata);
        float[]?[][] state = NewState();
        long[] steps = new long[_parameters.Length];
        float learningRate = ParseLearningRate(file.Metadata);
        foreach (SafeTensor tensor in file.Tensors)
        {
            (int index, int slot) = Locate(tensor);
            if (slot < 0)
            {
                float step = tensor.ToSingle()[0];
                if (!(step >= 0f) || step != MathF.Floor(step))
                {
                    throw new ArgumentException(Invariant($"State '{tensor.Name}' must be a whole number of steps >= 0, got {step}."), nameof(file));
                }

                steps[index] = (long)step;
            }
            else
            {
                state[index][slot] = tensor.ToSingle();
            }
        }

        _state = state;
        _steps = steps;
        _learningRate = learningRate;
    }

    /// <summary>One parameter's update; <paramref name="step"/> counts from 1.</summary>
    private protected abstract void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step);

    /// <summary>The fixed hyperparameters under PyTorch's names (all but <c>lr</c>), for the state file.</summary>
    private protected abstract IEnumerable<KeyValuePair<string, string>> Hyperparameters();

    /// <summary>Whether the buffer in <paramref name="slot"/> of parameter <paramref name="index"/> exists yet.</summary>
    private protected bool HasState(int index, int slot) => _state[index][slot] is not null;

    /// <summary>The buffer in <paramref name="slot"/>, created filled with <paramref name="initial"/> on first use.</summary>
    private protected float[] State(int index, int slot, float initial = 0f)
    {
        float[]? buffer = _state[index][slot];
        if (buffer is null)
        {
            buffer = new float[_parameters[index].Length];
            if (initial != 0f)
            {
                Array.Fill(buffer, initial);
            }

            _state[index][slot] = buffer;
        }

        return buffer;
    }

    /// <summary>Formats a hyperparameter so that it reads back bitwise.</summary>
    private protected static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Rejects a value that is not finite or is negative, naming it.</summary>
    private protected static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, Invariant($"{name} must be finite and >= 0, got {value}."));
        }
    }

    /// <summary>Rejects a value outside [0, 1) (or [0, 1] when <paramref name="includeOne"/>), naming it.</summary>
    private protected static void CheckUnit(float value, string name, bool includeOne)
    {
        if (!(value >= 0f) || (includeOne ? value > 1f : value >= 1f))
        {
            string range = includeOne ? "[0, 1]" : "[0, 1)";
            throw new ArgumentOutOfRangeException(name, value, Invariant($"{name} must be in {range}, got {value}."));
        }
    }

    private float[]?[][] NewState()
    {
        var state = new float[]?[_parameters.Length][];
        for (int i = 0; i < state.Length; i++)
        {
            state[i] = new float[]?[_stateNames.Length];
        }

        return state;
    }

    private IEnumerable<(string Name, int[] Shape, float[] Data)> StateTensors()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            string prefix = StatePrefix + _parameters[i].Name + "/";
            if (_countsSteps && _steps[i] > 0)
            {
                yield return (prefix + StepKey, Array.Empty<int>(), [(float)_steps[i]]);
            }

            for (int s = 0; s < _stateNames.Length; s++)
            {
                if (_state[i][s] is float[] buffer)
                {
                    yield return (prefix + _stateNames[s], _parameters[i].Shape, buffer);
                }
            }
        }
    }

    private Dictionary<string, string> StateMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OptimizerKey] = GetType().Name,
            [LearningRateKey] = Format(_learningRate),
        };
        foreach (KeyValuePair<string, string> entry in Hyperparameters())
        {
            metadata.Add(entry.Key, entry.Value);
        }

        return metadata;
    }

    private void CheckMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var expected = new List<KeyValuePair<string, string>> { new(OptimizerKey, GetType().Name) };
        expected.AddRange(Hyperparameters());
        foreach (KeyValuePair<string, string> entry in expected)
        {
            string actual = metadata.TryGetValue(entry.Key, out string? value) ? $"'{value}'" : "nothing";
            if (value != entry.Value)
            {
                throw new ArgumentException($"Optimizer state: metadata '{entry.Key}' must be '{entry.Value}' as in this {GetType().Name}, the file has {actual}.", "file");
            }
        }
    }

    private static float ParseLearningRate(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(LearningRateKey, out string? text)
            || !float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float lr)
            || !(lr >= 0f) || !float.IsFinite(lr))
        {
            throw new ArgumentException($"Optimizer state: metadata '{LearningRateKey}' must be a finite learning rate >= 0, the file has '{text}'.", "file");
        }

        return lr;
    }

    /// <summary>Finds the parameter and slot (−1 for <c>step</c>) a state tensor belongs to, checking its shape.</summary>
    private (int Index, int Slot) Locate(SafeTensor tensor)
    {
        string name = tensor.Name;
        int split = name.LastIndexOf('/');
        if (!name.StartsWith(StatePrefix, StringComparison.Ordinal) || split <= StatePrefix.Length)
        {
            throw new ArgumentException($"Optimizer state: unexpected tensor '{name}'; expected 'state/{{parameter}}/{{key}}'.", "file");
        }

        string parameter = name[StatePrefix.Length..split], key = name[(split + 1)..];
        int index = Array.FindIndex(_parameters, p => p.Name == parameter);
        if (index < 0)
        {
            throw new ArgumentException($"Optimizer state: tensor '{name}' is for parameter '{parameter}', which this optimizer does not have. Parameters: {string.Join(", ", Parameters.Names)}.", "file");
        }

        int slot = Array.IndexOf(_stateNames, key);
        bool isStep = _countsSteps && key == StepKey;
        if (slot < 0 && !isStep)
        {
            string keys = string.Join(", ", _countsSteps ? [StepKey, .. _stateNames] : _stateNames);
            throw new ArgumentException($"Optimizer state: tensor '{name}' has key '{key}', which {GetType().Name} does not keep (keys: {keys}).", "file");
        }

        ReadOnlySpan<int> expected = isStep ? [] : _parameters[index].Shape;
        if (!tensor.ShapeSpan.SequenceEqual(expected))
        {
            throw new ArgumentException($"Optimizer state: tensor '{name}' must have shape {Parameter.FormatShape(expected)}, the file has {tensor.ShapeText}.", "file");
        }

        return (index, slot);
    }
}
