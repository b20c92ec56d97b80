//! The dependency graph of a workspace's repositories, on petgraph.
//!
//! Edges point from a dependent to its dependency (`backend → shared-api`). Everything that needs
//! an order — sync, agent runs, impact analysis — asks this graph for *batches*: layers in which
//! no repository depends on another of the same layer, so a batch can run in parallel once the
//! batches before it are done.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

/// A dependency edge: `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The dependent repository.
    pub from: String,
    /// The repository it depends on.
    pub to: String,
}

/// What a change to some repositories affects.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Impact {
    /// The changed repositories, in workspace order.
    pub changed: Vec<String>,
    /// Repositories that depend directly on a changed one (and are not changed themselves).
    pub direct: Vec<String>,
    /// Every repository that depends on a changed one, directly or not (includes `direct`).
    pub transitive: Vec<String>,
    /// `changed` plus `transitive`, in batches to handle them in dependency order.
    pub batches: Vec<Vec<String>>,
}

/// Why a graph could not be built or queried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A name that is not a node of the graph.
    #[error("unknown repository `{0}`")]
    UnknownRepo(String),
    /// The dependencies form a cycle; the names are the cycle in order, first repeated last.
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// The repositories of a workspace and their dependencies.
#[derive(Debug, Clone)]
pub struct DependencyGraph {
    graph: DiGraph<String, ()>,
    index: HashMap<String, NodeIndex>,
    /// Nodes with every dependency before its dependents.
    dependencies_first: Vec<NodeIndex>,
}

impl DependencyGraph {
    /// Builds the graph from repository names (in workspace order) and `(dependent, dependency)`
    /// pairs. Duplicate edges are merged. Fails on unknown names and on cycles.
    pub fn new<N, E, S>(names: N, edges: E) -> Result<Self, GraphError>
    where
        N: IntoIterator<Item = S>,
        S: Into<String>,
        E: IntoIterator<Item = (S, S)>,
    {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for name in names {
            let name = name.into();
            if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(name) {
                let node = graph.add_node(slot.key().clone());
                slot.insert(node);
            }
        }
        for (from, to) in edges {
            let (from, to) = (from.into(), to.into());
            let a = *index.get(&from).ok_or(GraphError::UnknownRepo(from))?;
            let b = *index.get(&to).ok_or(GraphError::UnknownRepo(to))?;
            graph.update_edge(a, b, ());
        }
        let Ok(mut order) = toposort(&graph, None) else {
            return Err(GraphError::Cycle(find_cycle(&graph)));
        };
        // toposort puts dependents before their dependencies (edges point to dependencies).
        order.reverse();
        Ok(DependencyGraph {
            graph,
            index,
            dependencies_first: order,
        })
    }

    /// Number of repositories.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the graph has no repositories.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Whether `name` is a repository of the graph.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Repository names in workspace order.
    pub fn repos(&self) -> Vec<String> {
        self.graph.node_weights().cloned().collect()
    }

    /// Every edge, ordered by dependent then dependency in workspace order.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges: Vec<(NodeIndex, NodeIndex)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .collect();
        edges.sort();
        edges
            .into_iter()
            .map(|(a, b)| Edge {
                from: self.graph[a].clone(),
                to: self.graph[b].clone(),
            })
            .collect()
    }

    /// The repositories `name` depends on directly, in workspace order.
    pub fn dependencies(&self, name: &str) -> Result<Vec<String>, GraphError> {
        self.neighbours(name, Direction::Outgoing)
    }

    /// The repositories that depend directly on `name`, in workspace order.
    pub fn dependents(&self, name: &str) -> Result<Vec<String>, GraphError> {
        self.neighbours(name, Direction::Incoming)
    }

    /// All repositories in batches: batch 0 has no dependencies, each later batch depends only on
    /// earlier ones. Inside a batch, workspace order.
    pub fn batches(&self) -> Vec<Vec<String>> {
        let all = vec![true; self.graph.node_count()];
        self.layers(&all)
    }

    /// The given repositories in batches, ordered by the whole graph: when `a` depends on `b`
    /// through repositories outside the selection, `a` still comes after `b`.
    pub fn batches_of(&self, names: &[String]) -> Result<Vec<Vec<String>>, GraphError> {
        let mut selected = vec![false; self.graph.node_count()];
        for name in names {
            selected[self.node(name)?.index()] = true;
        }
        Ok(self.layers(&selected))
    }

    /// What a change to `changed` affects: direct and transitive dependents and the batches in
    /// which to handle them all.
    pub fn impact(&self, changed: &[String]) -> Result<Impact, GraphError> {
        let n = self.graph.node_count();
        let mut is_changed = vec![false; n];
        for name in changed {
            is_changed[self.node(name)?.index()] = true;
        }
        let mut is_direct = vec![false; n];
        let mut reached = vec![false; n];
        let mut stack = Vec::new();
        for (i, _) in is_changed.iter().enumerate().filter(|(_, c)| **c) {
            for dependent in self
                .graph
                .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
            {
                is_direct[dependent.index()] = true;
                if !reached[dependent.index()] {
                    reached[dependent.index()] = true;
                    stack.push(dependent);
                }
            }
        }
        while let Some(node) = stack.pop() {
            for dependent in self.graph.neighbors_directed(node, Direction::Incoming) {
                if !reached[dependent.index()] {
                    reached[dependent.index()] = true;
                    stack.push(dependent);
                }
            }
        }
        let names_where = |flags: &[bool]| -> Vec<String> {
            flags
                .iter()
                .enumerate()
                .filter(|(_, f)| **f)
                .map(|(i, _)| self.graph[NodeIndex::new(i)].clone())
                .collect()
        };
        let changed_names = names_where(&is_changed);
        let direct: Vec<bool> = (0..n).map(|i| is_direct[i] && !is_changed[i]).collect();
        let transitive: Vec<bool> = (0..n).map(|i| reached[i] && !is_changed[i]).collect();
        let selected: Vec<bool> = (0..n).map(|i| reached[i] || is_changed[i]).collect();
        Ok(Impact {
            changed: changed_names,
            direct: names_where(&direct),
            transitive: names_where(&transitive),
            batches: self.layers(&selected),
        })
    }

    fn node(&self, name: &str) -> Result<NodeIndex, GraphError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| GraphError::UnknownRepo(name.to_owned()))
    }

    fn neighbours(&self, name: &str, direction: Direction) -> Result<Vec<String>, GraphError> {
        let mut nodes: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(self.node(name)?, direction)
            .collect();
        nodes.sort();
        Ok(nodes.into_iter().map(|n| self.graph[n].clone()).collect())
    }

    /// Layers the selected nodes by the number of selected nodes on the longest dependency chain
    /// below them, walking the whole graph so unselected intermediaries still order the rest.
    fn layers(&self, selected: &[bool]) -> Vec<Vec<String>> {
        let mut depth = vec![0usize; self.graph.node_count()];
        let mut layer_count = 0;
        for &node in &self.dependencies_first {
            let below = self
                .graph
                .neighbors_directed(node, Direction::Outgoing)
                .map(|d| depth[d.index()])
                .max()
                .unwrap_or(0);
            let own = usize::from(selected[node.index()]);
            depth[node.index()] = below + own;
            if own == 1 {
                layer_count = layer_count.max(below + 1);
            }
        }
        let mut layers = vec![Vec::new(); layer_count];
        for (i, &d) in depth.iter().enumerate() {
            if selected[i] {
                layers[d - 1].push(self.graph[NodeIndex::new(i)].clone());
            }
        }
        layers
    }
}

/// One cycle of a cyclic graph, as names, the first repeated at the end.
fn find_cycle(graph: &DiGraph<String, ()>) -> Vec<String> {
    for component in tarjan_scc(graph) {
        let self_loop = component.len() == 1 && graph.contains_edge(component[0], component[0]);
        if component.len() < 2 && !self_loop {
            continue;
        }
        // Walk inside the strongly connected component until a node repeats.
        let members: std::collections::HashSet<NodeIndex> = component.iter().copied().collect();
        let start = *component.iter().min().expect("component is not empty");
        let mut path = vec![start];
        let mut seen = HashMap::from([(start, 0usize)]);
        let mut current = start;
        loop {
            let next = graph
                .neighbors_directed(current, Direction::Outgoing)
                .filter(|n| members.contains(n))
                .min()
                .expect("every node of a cycle has a successor in it");
            if let Some(&at) = seen.get(&next) {
                let mut cycle: Vec<String> = path[at..].iter().map(|n| graph[*n].clone()).collect();
                cycle.push(graph[next].clone());
                return cycle;
            }
            seen.insert(next, path.len());
            path.push(next);
            current = next;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DependencyGraph {
        // The plan's sample workspace.
        DependencyGraph::new(
            ["shared-api", "database-migrations", "backend", "frontend"],
            [
                ("database-migrations", "shared-api"),
                ("backend", "shared-api"),
                ("backend", "database-migrations"),
                ("frontend", "shared-api"),
            ],
        )
        .unwrap()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn batches_respect_every_edge() {
        let g = sample();
        assert_eq!(
            g.batches(),
            vec![
                names(&["shared-api"]),
                names(&["database-migrations", "frontend"]),
                names(&["backend"]),
            ]
        );
    }

    #[test]
    fn impact_of_shared_api() {
        let impact = sample().impact(&names(&["shared-api"])).unwrap();
        assert_eq!(impact.changed, names(&["shared-api"]));
        assert_eq!(
            impact.direct,
            names(&["database-migrations", "backend", "frontend"])
        );
        assert_eq!(
            impact.transitive,
            names(&["database-migrations", "backend", "frontend"])
        );
        assert_eq!(impact.batches.len(), 3);
    }

    #[test]
    fn impact_of_a_middle_repo_separates_direct_from_transitive() {
        let g = DependencyGraph::new(["a", "b", "c", "d"], [("b", "a"), ("c", "b"), ("d", "c")])
            .unwrap();
        let impact = g.impact(&names(&["b"])).unwrap();
        assert_eq!(impact.direct, names(&["c"]));
        assert_eq!(impact.transitive, names(&["c", "d"]));
        assert_eq!(
            impact.batches,
            vec![names(&["b"]), names(&["c"]), names(&["d"])]
        );
    }

    #[test]
    fn batches_of_a_selection_keep_order_through_unselected_repos() {
        let g = DependencyGraph::new(["a", "b", "c"], [("b", "a"), ("c", "b")]).unwrap();
        assert_eq!(
            g.batches_of(&names(&["c", "a"])).unwrap(),
            vec![names(&["a"]), names(&["c"])]
        );
    }

    #[test]
    fn cycles_name_every_member() {
        let err = DependencyGraph::new(
            ["a", "b", "c", "d"],
            [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")],
        )
        .unwrap_err();
        assert_eq!(err, GraphError::Cycle(names(&["a", "b", "c", "a"])));
        let self_loop = DependencyGraph::new(["a"], [("a", "a")]).unwrap_err();
        assert_eq!(self_loop, GraphError::Cycle(names(&["a", "a"])));
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            sample().impact(&names(&["nope"])).unwrap_err(),
            GraphError::UnknownRepo("nope".into())
        );
    }
}
