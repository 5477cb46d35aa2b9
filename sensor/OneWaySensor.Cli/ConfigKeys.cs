using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using OneWaySensor.Cli.Output;

namespace OneWaySensor.Cli;

/// <summary>
/// Checks every key of a settings section against the options class it
/// binds to, before binding: an unknown key, a value where a section or a
/// list belongs (or the reverse), and a value that does not convert are each
/// one line naming the full key, such as "Detection:Allowlist:0:RemotePort".
/// The binder's own errors name only the last key, or none inside a list.
/// </summary>
internal static class ConfigKeys
{
    /// <summary>The first problem of <paramref name="section"/> as <paramref name="type"/>, or null.</summary>
    public static string? FirstProblem(IConfigurationSection section, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        bool hasChildren = section.GetChildren().Any();
        if (IsValue(target))
        {
            return hasChildren ? Problem(section, $"expected {Describe(target)}, got a section or a list")
                : section.Value is null || Converts(section.Value, target) ? null
                : Problem(section, $"expected {Describe(target)}, got '{section.Value}'");
        }

        if (!hasChildren)
        {
            // null or an empty section or list: the defaults stay
            return string.IsNullOrEmpty(section.Value) ? null : Problem(section, $"expected {(ElementType(target) is null ? "a section of keys" : "a list")}, got '{section.Value}'");
        }

        return ElementType(target) is Type element ? ListProblem(section, element) : SectionProblem(section, target);
    }

    private static string? ListProblem(IConfigurationSection list, Type element)
    {
        foreach (IConfigurationSection item in list.GetChildren())
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return Problem(list, $"expected a list, got a section with key '{item.Key}'");
            }

            if (FirstProblem(item, element) is string problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? SectionProblem(IConfigurationSection section, Type target)
    {
        PropertyInfo[] keys = [.. target.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(property => property.SetMethod?.IsPublic == true)];
        foreach (IConfigurationSection child in section.GetChildren())
        {
            PropertyInfo? key = keys.FirstOrDefault(property => string.Equals(property.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                return Problem(child, $"unknown key (the keys of {section.Path} are {string.Join(", ", keys.Select(property => property.Name))})");
            }

            if (FirstProblem(child, key.PropertyType) is string problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>A type the binder reads from one value rather than from a section.</summary>
    private static bool IsValue(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(TimeSpan);

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0]
        : null;

    /// <summary>As the binder converts: the type's converter, invariant culture.</summary>
    private static bool Converts(string value, Type type)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
#pragma warning disable CA1031 // converters throw whatever they like for bad text: any failure means "does not convert"
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(DateTimeOffset) => "a date and time such as 2026-12-05T01:00:00Z",
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ => "a value",
    };

    private static string Problem(IConfigurationSection section, string problem) => $"{TerminalText.Escape(section.Path)}: {TerminalText.Escape(problem)}";
}
