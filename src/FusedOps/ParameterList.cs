using System;
using System.Collections;
using System.Collections.Generic;

namespace FusedOps;

/// <summary>A read-only list of <see cref="Parameter"/>s in state-dict order, indexable by name.</summary>
public sealed class ParameterList : IReadOnlyList<Parameter>
{
    private readonly Parameter[] _items;
    private readonly Dictionary<string, Parameter> _byName;

    /// <summary>Creates a list; names must be unique.</summary>
    public ParameterList(params Parameter[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = (Parameter[])items.Clone();
        _byName = new Dictionary<string, Parameter>(_items.Length, StringComparer.Ordinal);
        foreach (Parameter p in _items)
        {
            if (!_byName.TryAdd(p.Name, p))
            {
                throw new ArgumentException($"Duplicate parameter name '{p.Name}'.", nameof(items));
            }
        }
    }

    /// <summary>An empty list.</summary>
    public static ParameterList Empty { get; } = new();

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public Parameter this[int index] => _items[index];

    /// <summary>The tensor with this state-dict key.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists the names there are.</exception>
    public Parameter this[string name] => _byName.TryGetValue(name, out Parameter? p)
        ? p
        : throw new KeyNotFoundException($"No tensor named '{name}'. Names: {string.Join(", ", Names)}.");

    /// <summary>The names, in order.</summary>
    public IEnumerable<string> Names
    {
        get
        {
            foreach (Parameter p in _items)
            {
                yield return p.Name;
            }
        }
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, out Parameter parameter)
    {
        bool found = _byName.TryGetValue(name, out Parameter? p);
        parameter = p!;
        return found;
    }

    /// <summary>Whether a tensor has this name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Total number of elements over all tensors.</summary>
    public long ElementCount
    {
        get
        {
            long n = 0;
            foreach (Parameter p in _items)
            {
                n += p.Length;
            }

            return n;
        }
    }

    /// <summary>Sets every gradient to zero (a long one split over up to <see cref="KernelOptions.MaxDegreeOfParallelism"/> threads).</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _items)
        {
            Kernels.ClearJob.Clear(p.Grad);
        }
    }

    /// <summary>Copies every tensor's data from <paramref name="source"/>, matched by name; validates all names and shapes first.</summary>
    public void CopyFrom(ParameterList source)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (Parameter p in _items)
        {
            if (!source.TryGet(p.Name, out Parameter s))
            {
                throw new ArgumentException($"Source has no tensor '{p.Name}' {p.ShapeText}.", nameof(source));
            }

            if (!s.Shape.AsSpan().SequenceEqual(p.Shape))
            {
                throw new ArgumentException($"Tensor '{p.Name}': expected shape {p.ShapeText}, source has {s.ShapeText}.", nameof(source));
            }
        }

        foreach (Parameter p in _items)
        {
            source[p.Name].Data.CopyTo(p.Data, 0);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<Parameter> GetEnumerator() => ((IEnumerable<Parameter>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
