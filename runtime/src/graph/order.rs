//! Orders over the graph's nodes: strongly connected components (cycles, §5 step 7), the
//! evaluation order (§6.1) and the shutdown layers (§8).
//!
//! Nodes are indexes in source order; `dependencies[i]` lists what node `i` references and
//! `dependants[i]` what references it. Every algorithm here is iterative, so a long chain of
//! components cannot exhaust the stack, and terminates on graphs with cycles.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The strongly connected components with more than one node, each sorted by index (Tarjan's
/// algorithm, iterative).
pub(super) fn cycles(dependencies: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = dependencies.len();
    let mut index = vec![UNVISITED; n];
    let mut lowlink = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut components = Vec::new();

    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        // (node, position of the next dependency to look at)
        let mut work = vec![(root, 0usize)];
        index[root] = next_index;
        lowlink[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = work.last_mut() {
            let node = top.0;
            if let Some(&dep) = dependencies[node].get(top.1) {
                top.1 += 1;
                if index[dep] == UNVISITED {
                    index[dep] = next_index;
                    lowlink[dep] = next_index;
                    next_index += 1;
                    stack.push(dep);
                    on_stack[dep] = true;
                    work.push((dep, 0));
                } else if on_stack[dep] {
                    lowlink[node] = lowlink[node].min(index[dep]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                lowlink[parent] = lowlink[parent].min(lowlink[node]);
            }
            if lowlink[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    components.push(component);
                }
            }
        }
    }
    components.sort();
    components
}

/// Evaluation order: repeatedly the first node in source order whose dependencies are all
/// placed. Nodes that can never be placed (members of a cycle and what depends on them) follow
/// in source order.
pub(super) fn evaluation_order(
    dependencies: &[Vec<usize>],
    dependants: &[Vec<usize>],
) -> Vec<usize> {
    let n = dependencies.len();
    let mut waiting: Vec<usize> = dependencies.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(node)) = ready.pop() {
        placed[node] = true;
        order.push(node);
        for &dependant in &dependants[node] {
            waiting[dependant] -= 1;
            if waiting[dependant] == 0 {
                ready.push(Reverse(dependant));
            }
        }
    }
    order.extend((0..n).filter(|&i| !placed[i]));
    order
}

/// Shutdown layers of the nodes flagged in `include`, lowest first: a node's layer is 0 when no
/// included node references it, else one more than the largest layer among those that do.
/// Within a layer, nodes keep evaluation order.
pub(super) fn shutdown_layers(
    dependencies: &[Vec<usize>],
    dependants: &[Vec<usize>],
    include: &[bool],
) -> Vec<Vec<usize>> {
    let order = evaluation_order(dependencies, dependants);
    let mut layer = vec![0usize; dependencies.len()];
    let mut done = vec![false; dependencies.len()];
    // Dependants come later in evaluation order, so walking it backwards sees them first.
    for &node in order.iter().rev() {
        layer[node] = dependants[node]
            .iter()
            .filter(|&&d| include[d] && done[d])
            .map(|&d| layer[d] + 1)
            .max()
            .unwrap_or(0);
        done[node] = true;
    }
    let mut layers: Vec<Vec<usize>> = Vec::new();
    for &node in &order {
        if !include[node] {
            continue;
        }
        let l = layer[node];
        if layers.len() <= l {
            layers.resize_with(l + 1, Vec::new);
        }
        layers[l].push(node);
    }
    layers.retain(|l| !l.is_empty());
    layers
}
