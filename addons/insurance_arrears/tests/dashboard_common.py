"""Checks shared by the tests of the spreadsheet dashboards shipped as module data.

A dashboard is a JSON document read by the web client: a wrong field name or an
ungroupable dimension only shows up as an error cell in the browser. These
helpers read the dashboard as the client would and run every data source it
declares (pivots, lists, charts) through the same ORM calls, so that the tests
can assert both its structure and the figures it shows on known data.
"""

import ast
import base64
import io
import json
import re

from odoo.fields import Domain
from odoo.tools import file_open
from odoo.tools.translate import code_translations, extract_spreadsheet_terms

MEASURE_TYPES = ("integer", "float", "monetary")
AGGREGATORS = ("sum", "avg", "min", "max", "count", "count_distinct")
GRANULARITIES = ("day", "week", "month", "quarter", "year")
PIVOT_CALL = re.compile(r"\bPIVOT(?:\.(VALUE|HEADER))?\(([^()]*)\)")
LIST_CALL = re.compile(r"\bODOO\.LIST(?:\.(HEADER))?\(([^()]*)\)")
MENU_URL = re.compile(r"odoo://ir_menu_xml_id/([\w.]+)")
SHEET_REF = re.compile(r"^(\w+)!([A-Z]+[0-9]+)$")


def _arguments(text):
    """Literal arguments of a spreadsheet function call, as a tuple."""
    return ast.literal_eval(f"({text},)")


class DashboardChecks:
    """Mixin for a TransactionCase: load a dashboard and run its data sources."""

    @staticmethod
    def load_dashboard(env, xmlid):
        """The dashboard record and its JSON document, as the client receives it."""
        dashboard = env.ref(xmlid)
        return dashboard, json.loads(dashboard.spreadsheet_data)

    def assertDashboardFile(self, dashboard, path):
        """The record holds the module's JSON file, unchanged, in its binary field and in its text."""
        with file_open(path, "rb") as fileobj:
            shipped = json.load(fileobj)
        self.assertEqual(json.loads(base64.b64decode(dashboard.spreadsheet_binary_data)), shipped)
        self.assertEqual(json.loads(dashboard.spreadsheet_data), shipped)

    # -- structure ---------------------------------------------------------------

    def cells(self, data):
        return {(sheet["name"], ref): content for sheet in data["sheets"] for ref, content in sheet["cells"].items()}

    def odoo_charts(self, data):
        return [
            figure["data"]
            for sheet in data["sheets"]
            for figure in sheet["figures"]
            if figure["tag"] == "chart" and figure["data"]["type"].startswith("odoo_")
        ]

    def assertGroupable(self, model, spec, where):
        name, _sep, granularity = spec.partition(":")
        fields = self.env[model].fields_get(attributes=["type", "groupable"])
        self.assertIn(name, fields, f"{where}: no field {name} on {model}")
        self.assertTrue(fields[name].get("groupable"), f"{where}: {model}.{name} cannot be grouped by")
        if granularity:
            self.assertIn(fields[name]["type"], ("date", "datetime"), f"{where}: {spec} on a non-date field")
            self.assertIn(granularity, GRANULARITIES, where)

    def assertAggregatable(self, model, name, aggregator, where):
        """A measure is ``__count`` or a stored number with an aggregator; returns its read_group spec."""
        if name == "__count":
            return "__count"
        fields = self.env[model].fields_get(attributes=["type", "aggregator", "store"])
        self.assertIn(name, fields, f"{where}: no field {name} on {model}")
        field = fields[name]
        self.assertIn(field["type"], MEASURE_TYPES, f"{where}: {model}.{name} is not a number")
        self.assertTrue(field.get("store"), f"{where}: {model}.{name} is not stored")
        self.assertTrue(field.get("aggregator"), f"{where}: {model}.{name} has no aggregator")
        aggregator = aggregator or field["aggregator"]
        self.assertIn(aggregator, AGGREGATORS, where)
        return f"{name}:{aggregator}"

    def assertValidDomain(self, model, domain, where):
        self.assertIn(model, self.env, f"{where}: no model {model}")
        try:
            Domain(domain).validate(self.env[model])
        except ValueError as error:
            self.fail(f"{where}: invalid domain {domain}: {error}")

    def assertFieldMatching(self, data, model, matching, where):
        """Each global filter applied to a data source names a field of the right kind."""
        filters = {f["id"]: f for f in data["globalFilters"]}
        for filter_id, match in matching.items():
            self.assertIn(filter_id, filters, f"{where}: unknown global filter {filter_id}")
            global_filter = filters[filter_id]
            fields = self.env[model].fields_get(attributes=["type", "relation"])
            self.assertIn(match["chain"], fields, f"{where}: no field {match['chain']} on {model}")
            field = fields[match["chain"]]
            self.assertEqual(field["type"], match["type"], where)
            if global_filter["type"] == "relation":
                self.assertEqual(field["relation"], global_filter["modelName"], where)
            else:
                self.assertEqual(global_filter["type"], "date", where)
                self.assertIn(field["type"], ("date", "datetime"), where)

    def assertDashboardStructure(self, data):
        """Every model, field, measure, menu and cell reference of the dashboard exists and fits its use."""
        self.assertEqual(data["version"], "18.5.10", "the data version of Odoo 19's own dashboards")
        for global_filter in data["globalFilters"]:
            if global_filter["type"] == "relation":
                self.assertIn(global_filter["modelName"], self.env, global_filter["label"])
                if global_filter.get("domainOfAllowedValues"):
                    domain = ast.literal_eval(global_filter["domainOfAllowedValues"])
                    self.assertValidDomain(global_filter["modelName"], domain, global_filter["label"])

        for pivot_id, pivot in data["pivots"].items():
            where = f"pivot {pivot_id} ({pivot['name']})"
            model = pivot["model"]
            self.assertEqual(pivot["type"], "ODOO", where)
            self.assertValidDomain(model, pivot["domain"], where)
            for dimension in pivot["rows"] + pivot["columns"]:
                self.assertGroupable(model, dimension["fieldName"], where)
            measure_ids = set()
            for measure in pivot["measures"]:
                self.assertAggregatable(model, measure["fieldName"], measure.get("aggregator"), where)
                measure_ids.add(measure["id"])
            if pivot.get("sortedColumn"):
                self.assertIn(pivot["sortedColumn"]["measure"], measure_ids, where)
            self.assertFieldMatching(data, model, pivot["fieldMatching"], where)
            if pivot.get("actionXmlId"):
                self.assertEqual(self.env.ref(pivot["actionXmlId"]).res_model, model, where)

        for list_id, list_ in data["lists"].items():
            where = f"list {list_id} ({list_['name']})"
            model = list_["model"]
            self.assertValidDomain(model, list_["domain"], where)
            fields = self.env[model].fields_get(attributes=["sortable"])
            for column in list_["columns"]:
                self.assertIn(column, fields, f"{where}: no field {column} on {model}")
            for order in list_["orderBy"]:
                self.assertTrue(fields[order["name"]].get("sortable"), f"{where}: cannot sort by {order['name']}")
            self.assertFieldMatching(data, model, list_["fieldMatching"], where)

        for chart in self.odoo_charts(data):
            where = f"chart {chart['chartId']}"
            model = chart["metaData"]["resModel"]
            self.assertEqual(chart["type"], f"odoo_{chart['metaData']['mode']}", where)
            self.assertValidDomain(model, chart["searchParams"]["domain"], where)
            self.assertEqual(chart["metaData"]["groupBy"], chart["searchParams"]["groupBy"], where)
            for spec in chart["metaData"]["groupBy"]:
                self.assertGroupable(model, spec, where)
            self.assertAggregatable(model, chart["metaData"]["measure"], None, where)
            self.assertFieldMatching(data, model, chart["fieldMatching"], where)
            if chart.get("actionXmlId"):
                self.assertEqual(self.env.ref(chart["actionXmlId"]).res_model, model, where)

        menus = set(data["chartOdooMenusReferences"].values())
        figure_ids = {figure["id"] for sheet in data["sheets"] for figure in sheet["figures"]}
        self.assertLessEqual(set(data["chartOdooMenusReferences"]), figure_ids)
        cells = self.cells(data)
        for content in cells.values():
            menus.update(MENU_URL.findall(content))
        for xmlid in menus:
            menu = self.env.ref(xmlid)
            self.assertEqual(menu._name, "ir.ui.menu", xmlid)
            self.assertTrue(menu.action, f"menu {xmlid} opens nothing")

        for (sheet, ref), content in cells.items():
            where = f"{sheet}!{ref}: {content}"
            for function, arguments in PIVOT_CALL.findall(content):
                self.assertPivotCall(data, function, _arguments(arguments), where)
            for function, arguments in LIST_CALL.findall(content):
                args = _arguments(arguments)
                list_ = data["lists"].get(str(args[0]))
                self.assertTrue(list_, f"{where}: no list {args[0]}")
                self.assertIn(args[1] if function else args[2], list_["columns"], where)

        sheets = {sheet["name"] for sheet in data["sheets"]}
        for sheet in data["sheets"]:
            for figure in sheet["figures"]:
                if figure["data"]["type"] != "scorecard":
                    continue
                for key in ("keyValue", "baseline"):
                    if figure["data"].get(key):
                        sheet_name, ref = SHEET_REF.match(figure["data"][key]).groups()
                        self.assertIn(sheet_name, sheets)
                        self.assertIn((sheet_name, ref), cells, f"scorecard {key} {figure['data'][key]} is empty")

    def assertPivotCall(self, data, function, args, where):
        pivot = data["pivots"].get(str(args[0]))
        self.assertTrue(pivot, f"{where}: no pivot {args[0]}")
        if not function:  # PIVOT(id, rows, ...): the whole table
            return
        dimensions = {d["fieldName"] for d in pivot["rows"] + pivot["columns"]}
        if function == "VALUE":
            self.assertIn(args[1], {m["id"] for m in pivot["measures"]}, f"{where}: unknown measure")
            pairs = args[2:]
        else:
            pairs = args[1:]
        self.assertEqual(len(pairs) % 2, 0, where)
        for field, value in zip(pairs[::2], pairs[1::2], strict=True):
            self.assertIn(field.lstrip("#").split(":")[0], dimensions, f"{where}: {field} is not a dimension")
            if field.startswith("#"):
                self.assertIsInstance(value, int, where)
            else:
                selection = self.env[pivot["model"]]._fields[field].get_values(self.env)
                self.assertIn(value, selection, f"{where}: {value} is not a value of {field}")

    # -- figures ---------------------------------------------------------------------

    def filter_domain(self, data, model, matching, values):
        """The domain the client adds for global filters: ``values`` maps a filter label to ids."""
        filters = {f["label"]: f["id"] for f in data["globalFilters"]}
        domain = Domain.TRUE
        for label, ids in values.items():
            match = matching.get(filters[label])
            if match:
                domain &= Domain(match["chain"], "in", ids)
        return domain

    def pivot_data(self, data, pivot_id, filters=None):
        """The groups of a pivot as the client reads them: one read per grouping set.

        Returns ``{(row values..., column values...): {measure id: value}}`` where a
        missing dimension (total) is left out of the key.
        """
        pivot = data["pivots"][pivot_id]
        model = self.env[pivot["model"]]
        domain = Domain(pivot["domain"]) & self.filter_domain(data, model._name, pivot["fieldMatching"], filters or {})
        rows = [d["fieldName"] for d in pivot["rows"]]
        columns = [d["fieldName"] for d in pivot["columns"]]
        specs = {
            measure["id"]: self.assertAggregatable(model._name, measure["fieldName"], measure.get("aggregator"), "")
            for measure in pivot["measures"]
        }
        grouping_sets = [rows + columns, rows, columns, []]
        self.env.flush_all()
        results = model.formatted_read_grouping_sets(list(domain), grouping_sets, list(set(specs.values())))
        table = {}
        for groupby, groups in zip(grouping_sets, results, strict=True):
            for group in groups:
                key = tuple(self._group_value(group[name]) for name in groupby)
                table[key] = {measure_id: group[spec] for measure_id, spec in specs.items()}
        return table

    def chart_data(self, chart, data, filters=None):
        model = self.env[chart["metaData"]["resModel"]]
        domain = Domain(chart["searchParams"]["domain"]) & self.filter_domain(
            data, model._name, chart["fieldMatching"], filters or {}
        )
        spec = self.assertAggregatable(model._name, chart["metaData"]["measure"], None, "")
        groupby = chart["metaData"]["groupBy"]
        self.env.flush_all()
        groups = model.formatted_read_group(list(domain), groupby, [spec])
        return {tuple(self._group_value(group[name]) for name in groupby): group[spec] for group in groups}

    def list_data(self, data, list_id, filters=None, limit=10):
        list_ = data["lists"][list_id]
        model = self.env[list_["model"]]
        domain = Domain(list_["domain"]) & self.filter_domain(data, model._name, list_["fieldMatching"], filters or {})
        order = ", ".join(f"{o['name']} {'asc' if o['asc'] else 'desc'}" for o in list_["orderBy"])
        self.env.flush_all()
        return model.search_read(list(domain), list_["columns"], order=order, limit=limit)

    def assertDataSourcesRun(self, data, filters):
        """Every pivot, list and chart reads, with ``filters`` set, what its cells and figures expect.

        A pivot gives its grand total with each of its measures, a list its columns, a chart
        one value per group of its group-by: what the client needs to draw them.
        """
        self.assertTrue(data["pivots"] or data["lists"] or self.odoo_charts(data), "a dashboard without data")
        for pivot_id, pivot in data["pivots"].items():
            table = self.pivot_data(data, pivot_id, filters)
            self.assertIn((), table, f"pivot {pivot_id} ({pivot['name']}) has no grand total")
            self.assertEqual(set(table[()]), {m["id"] for m in pivot["measures"]}, f"pivot {pivot_id}")
        for list_id, list_ in data["lists"].items():
            for row in self.list_data(data, list_id, filters):
                self.assertLessEqual(set(list_["columns"]), set(row), f"list {list_id} ({list_['name']})")
        for chart in self.odoo_charts(data):
            groupby = chart["metaData"]["groupBy"]
            for key in self.chart_data(chart, data, filters):
                self.assertEqual(len(key), len(groupby), f"chart {chart['chartId']}")

    @staticmethod
    def _group_value(value):
        # many2one groups come as (id, name), dates by month as ('2026-11-01', 'November 2026')...
        return value[0] if isinstance(value, (list, tuple)) else value

    def find_chart(self, data, model, group_by, measure=None):
        charts = [
            chart
            for chart in self.odoo_charts(data)
            if chart["metaData"]["resModel"] == model
            and chart["metaData"]["groupBy"] == group_by
            and measure in (None, chart["metaData"]["measure"])
        ]
        self.assertEqual(len(charts), 1, f"one chart of {model} by {group_by}")
        return charts[0]

    def pivot_by_name(self, data, name):
        ids = [pivot_id for pivot_id, pivot in data["pivots"].items() if pivot["name"] == name]
        self.assertEqual(len(ids), 1, name)
        return ids[0]

    # -- translations ------------------------------------------------------------------

    def assertTranslated(self, module, path, lang="fr_FR"):
        """Every term the translation export takes from the dashboard has a translation in the module's .po."""
        with file_open(path, "rb") as fileobj:
            terms = {
                term
                for _line, _func, term, _comments in extract_spreadsheet_terms(io.BytesIO(fileobj.read()), [], [], {})
            }
        self.assertTrue(terms)
        translations = {
            message["id"]: message["string"]
            for message in code_translations.get_web_translations(module, lang)["messages"]
        }
        missing = sorted(term for term in terms if not translations.get(term))
        self.assertFalse(missing, f"terms of {path} without a {lang} translation in {module}")
        return {term: translations[term] for term in terms}
