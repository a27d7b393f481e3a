using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace FusedOps.Serialization;

/// <summary>
/// Loads and saves a model's state (its <see cref="IFusedModel.Parameters"/> and
/// <see cref="IFusedModel.Buffers"/>) as safetensors, under PyTorch's state-dict keys and layouts,
/// so state moves between a <c>torch.nn.Sequential</c> and the FusedOps pipeline declared with
/// the same layers.
/// </summary>
public static class StateDict
{
    private const int MaxProblemsInMessage = 20;
    private const string NumBatchesTracked = "num_batches_tracked";

    /// <summary>
    /// Copies every parameter and buffer of <paramref name="model"/> from the tensor named
    /// <paramref name="prefix"/> + its name in <paramref name="file"/>, converting the file's
    /// dtype to float32. All names and shapes are checked before any data is copied, so on any
    /// mismatch the model is left exactly as it was.
    /// </summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="file">The state, e.g. from <c>safetensors.torch.save_file(model.state_dict(), ...)</c>.</param>
    /// <param name="prefix">Prepended to every model key, e.g. <c>"init/"</c> or <c>"backbone."</c>.</param>
    /// <param name="strict">
    /// Also reject tensors whose names start with <paramref name="prefix"/> but that the model does
    /// not have (PyTorch's <c>*.num_batches_tracked</c>, which FusedOps does not keep, is ignored).
    /// Unlike PyTorch's <c>strict=False</c>, a key the model needs but the file lacks is an error
    /// either way: every tensor of the model must be loaded.
    /// </param>
    /// <exception cref="ArgumentException">
    /// A key is missing, a shape differs from the model's (PyTorch layout, exactly), or, when
    /// <paramref name="strict"/>, the file has an unexpected key. The message lists every such
    /// problem with the key and both shapes; nothing has been copied.
    /// </exception>
    public static void Load(IFusedModel model, SafeTensorsFile file, string prefix = "", bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);

        var problems = new List<string>();
        var copies = new List<(Parameter Target, SafeTensor Source)>();
        var modelKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (Parameter target in model.Parameters.Concat(model.Buffers))
        {
            string key = prefix + target.Name;
            modelKeys.Add(key);
            if (!file.TryGet(key, out SafeTensor? source))
            {
                problems.Add($"missing key '{key}': model expects {target.ShapeText}, the file has no such tensor");
            }
            else if (!source.ShapeSpan.SequenceEqual(target.Shape))
            {
                problems.Add($"key '{key}': model expects shape {target.ShapeText}, the file has {source.ShapeText}");
            }
            else
            {
                copies.Add((target, source));
            }
        }

        if (strict)
        {
            foreach (SafeTensor source in file.Tensors)
            {
                if (source.Name.StartsWith(prefix, StringComparison.Ordinal)
                    && !modelKeys.Contains(source.Name)
                    && !IsNumBatchesTracked(source.Name.AsSpan(prefix.Length)))
                {
                    problems.Add($"unexpected key '{source.Name}' {source.ShapeText}: the model has no tensor '{source.Name[prefix.Length..]}' (pass strict: false to ignore it)");
                }
            }
        }

        if (problems.Count > 0)
        {
            string shown = string.Join("; ", problems.Take(MaxProblemsInMessage));
            string more = problems.Count > MaxProblemsInMessage ? Invariant($"; ... ({problems.Count - MaxProblemsInMessage} more)") : "";
            throw new ArgumentException(
                Invariant($"State dict does not match the model ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; nothing was loaded): {shown}{more}."),
                nameof(file));
        }

        // Everything is validated; conversion cannot fail from here on.
        foreach ((Parameter target, SafeTensor source) in copies)
        {
            source.CopyTo(target.Data);
        }
    }

    /// <summary>Reads the safetensors file at <paramref name="path"/> and loads it as <see cref="Load(IFusedModel, SafeTensorsFile, string, bool)"/> does.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException">The file's state does not match the model; nothing was loaded.</exception>
    public static void Load(IFusedModel model, string path, string prefix = "", bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        Load(model, SafeTensorsFile.Load(path), prefix, strict);
    }

    /// <summary>
    /// Writes every parameter and buffer of <paramref name="model"/> to an F32 safetensors file
    /// under its state-dict key, readable by <c>safetensors.torch.load_file</c> and
    /// <c>load_state_dict</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Two tensors of the model share a name.</exception>
    public static void Save(IFusedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafeTensorsFile.Save(path, Tensors(model));
    }

    /// <summary>Writes the model's state to <paramref name="stream"/> as <see cref="Save"/> writes it to a file.</summary>
    /// <exception cref="ArgumentException">Two tensors of the model share a name.</exception>
    public static void Write(IFusedModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafeTensorsFile.Write(stream, Tensors(model));
    }

    private static IEnumerable<(string Name, int[] Shape, float[] Data)> Tensors(IFusedModel model) =>
        model.Parameters.Concat(model.Buffers).Select(p => (p.Name, p.Shape, p.Data));

    private static bool IsNumBatchesTracked(ReadOnlySpan<char> key) =>
        key.EndsWith(NumBatchesTracked, StringComparison.Ordinal)
        && (key.Length == NumBatchesTracked.Length || key[^(NumBatchesTracked.Length + 1)] == '.');
}
