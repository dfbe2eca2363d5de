// Binds an experiment's configuration onto its options type and refuses anything it does not understand:
// unknown keys (with a suggestion), values that do not convert to the property's type, and values that
// break the DataAnnotations attributes ([Range], [Required], ...), each reported with file and key.
using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace TrajectoryLab.Cli.Configuration;

/// <summary>Strict, validated binding of <see cref="IConfiguration"/> onto an options object.</summary>
public static class StrictBinder
{
    /// <summary>
    /// Checks every key in <paramref name="config"/> against <paramref name="optionsType"/>, binds it, and validates the result
    /// recursively. <paramref name="sourceOf"/> tells which file (or "command line") a key came from, for the error message.
    /// </summary>
    /// <exception cref="ConfigException">An unknown key, an unconvertible value or a failed validation.</exception>
    public static object Bind(IConfiguration config, Type optionsType, Func<string, string> sourceOf)
    {
        CheckSection(config, optionsType, "", sourceOf);
        var options = Activator.CreateInstance(optionsType)!;
        ClearConfiguredLists(options, config);
        try
        {
            config.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigException(sourceOf(""), "", e.Message);
        }
        Validate(options, "", sourceOf);
        return options;
    }

    static void CheckSection(IConfiguration section, Type type, string prefix, Func<string, string> sourceOf)
    {
        var properties = BindableProperties(type);
        foreach (var child in section.GetChildren())
        {
            var key = prefix + child.Key;
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var known = properties.Select(p => Camel(p.Name)).ToArray();
                var hint = Suggest(child.Key, known);
                var suggestion = hint is null ? "" : $" (did you mean '{prefix}{hint}'?)";
                throw new ConfigException(
                    sourceOf(key),
                    key,
                    $"unknown key for {type.Name}{suggestion}; known keys: {string.Join(", ", known)}"
                );
            }
            CheckValue(child, property.PropertyType, key, sourceOf);
        }
    }

    static void CheckValue(IConfigurationSection section, Type type, string key, Func<string, string> sourceOf)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(target))
        {
            if (section.Value is null)
                throw new ConfigException(sourceOf(key), key, $"expected a single {Describe(target)} value, found an object or list");
            if (!TryConvert(section.Value, target))
                throw new ConfigException(sourceOf(key), key, $"'{section.Value}' is not a valid {Describe(target)}");
            return;
        }
        var element = ElementType(target);
        if (element is not null)
        {
            if (section.Value is not null && section.Value.Length > 0)
                throw new ConfigException(sourceOf(key), key, $"expected a list of {Describe(element)}, found '{section.Value}'");
            foreach (var item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    throw new ConfigException(sourceOf(key + ":" + item.Key), key + ":" + item.Key, "expected a list index");
                CheckValue(item, element, key + ":" + item.Key, sourceOf);
            }
            return;
        }
        if (section.Value is not null && section.Value.Length > 0)
            throw new ConfigException(sourceOf(key), key, $"expected an object ({target.Name}), found '{section.Value}'");
        CheckSection(section, target, key + ":", sourceOf);
    }

    /// <summary>
    /// Empties every list the configuration sets, so the file's list replaces the default instead of being appended to it
    /// (ConfigurationBinder appends to an initialised array or list).
    /// </summary>
    static void ClearConfiguredLists(object options, IConfiguration section)
    {
        foreach (var property in BindableProperties(options.GetType()))
        {
            var child = section.GetSection(property.Name);
            if (!child.Exists())
                continue;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(type))
                continue;
            if (ElementType(type) is not null)
                property.SetValue(options, null);
            else if (property.GetValue(options) is { } nested)
                ClearConfiguredLists(nested, child);
        }
    }

    static void Validate(object options, string prefix, Func<string, string> sourceOf)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var first = results[0];
            var member = string.Join(":", (first.MemberNames.FirstOrDefault() ?? "").Split(':').Select(Camel));
            throw new ConfigException(sourceOf(prefix + member), prefix + member, first.ErrorMessage ?? "invalid value");
        }
        foreach (var property in BindableProperties(options.GetType()))
        {
            var value = property.GetValue(options);
            if (value is null || IsScalar(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType))
                continue;
            if (value is IEnumerable list and not string)
            {
                int i = 0;
                foreach (var item in list)
                {
                    if (item is not null && !IsScalar(item.GetType()))
                        Validate(item, $"{prefix}{Camel(property.Name)}:{i}:", sourceOf);
                    i++;
                }
            }
            else
                Validate(value, prefix + Camel(property.Name) + ":", sourceOf);
        }
    }

    /// <summary>Keys are reported as experiment files spell them: camelCase.</summary>
    static string Camel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    static PropertyInfo[] BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToArray();

    static bool IsScalar(Type t) => t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal);

    static Type? ElementType(Type t) =>
        t.IsArray ? t.GetElementType()
        : t.IsGenericType && t.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(t) ? t.GetGenericArguments()[0]
        : null;

    static bool TryConvert(string value, Type type)
    {
        if (type == typeof(string))
            return true;
        if (type.IsEnum)
            return Enum.TryParse(type, value, ignoreCase: true, out _);
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e)
            when (e is FormatException or NotSupportedException or ArgumentException or OverflowException
                || e.InnerException is FormatException or OverflowException
            )
        {
            return false;
        }
    }

    static string Describe(Type t) =>
        t.IsEnum
            ? $"one of {string.Join(", ", Enum.GetNames(t))}"
            : t switch
            {
                _ when t == typeof(int) || t == typeof(long) => "integer",
                _ when t == typeof(double) || t == typeof(float) => "number",
                _ when t == typeof(bool) => "boolean (true/false)",
                _ => t.Name,
            };

    /// <summary>The known name closest to <paramref name="key"/> by edit distance, if it is close enough to be a typo.</summary>
    static string? Suggest(string key, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: EditDistance(key.ToLowerInvariant(), k.ToLowerInvariant()))).OrderBy(x => x.d).FirstOrDefault();
        return best.k is not null && best.d <= Math.Max(2, key.Length / 3) ? best.k : null;
    }

    static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int up = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.Length];
    }
}
