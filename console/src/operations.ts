// Every operation the console sends, typed by the codegen from schema/schema.graphql.
import { graphql } from "./gql";

export const LoginMutation = graphql(`
  mutation ConsoleLogin($input: LoginInput!) {
    login(input: $input) {
      token
      userErrors { message code }
    }
  }
`);

export const ViewerQuery = graphql(`
  query ConsoleViewer {
    me { id name role partner { id name } }
    territories(first: 100) { id name code timeZone area }
  }
`);

export const BoardQuery = graphql(`
  query ConsoleBoard($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
    technicians(territoryId: $territoryId, first: 100) {
      edges { node { id name status lastKnownLocation { lat lng } lastSeenAt partner { id name } } }
    }
    planned: tasks(first: 100, filter: { territoryId: $territoryId, scheduledFrom: $from, scheduledTo: $to }) {
      edges { node { ...BoardTask } }
    }
    queue: tasks(first: 100, filter: { territoryId: $territoryId, unassigned: true, status: [UNSCHEDULED] }) {
      totalCount
      edges { node { ...BoardTask } }
    }
  }

  fragment BoardTask on Task {
    id status version priority durationMinutes description type
    location { lat lng }
    windowStart windowEnd scheduledStart scheduledEnd responseDueAt resolutionDueAt slaState
    technician { id }
    site { id name city }
    customer { id name }
  }
`);

export const SlaKpiQuery = graphql(`
  query ConsoleSlaKpis($territoryId: ID!) {
    slaBoard(territoryId: $territoryId, first: 1) {
      territories { onTrack atRisk breached total territory { id } }
    }
  }
`);

export const TaskQuery = graphql(`
  query ConsoleTask($id: ID!) {
    task(id: $id) {
      id status version priority description durationMinutes type
      windowStart windowEnd scheduledStart scheduledEnd responseDueAt resolutionDueAt slaState
      technician { id name }
      customer { id name phone }
      site { id name addressLine city accessNotes }
      events { action fromStatus toStatus at actor reason }
      notes { body author createdAt }
      photos { reference caption createdAt }
      partsUsed { partCode quantity description }
    }
    invoices(taskId: $id, first: 5) {
      edges { node { id number status balance { amount currency } totals { total { amount currency } } } }
    }
  }
`);

export const TrailQuery = graphql(`
  query ConsoleTrail($technicianId: ID!, $from: DateTime!, $to: DateTime!) {
    technicianTrail(technicianId: $technicianId, from: $from, to: $to) {
      technicianId path distanceMeters pingCount
    }
  }
`);

export const AssignMutation = graphql(`
  mutation ConsoleAssignTask($input: AssignTaskInput!) {
    assignTask(input: $input) {
      task { id status version technician { id } scheduledStart }
      warnings { code message }
      userErrors { message code }
    }
  }
`);

export const UnassignMutation = graphql(`
  mutation ConsoleUnassignTask($input: UnassignTaskInput!) {
    unassignTask(input: $input) {
      task { id status }
      userErrors { message code }
    }
  }
`);

export const RunDispatchMutation = graphql(`
  mutation ConsoleRunDispatch($input: RunDispatchInput!) {
    runDispatch(input: $input) {
      dispatchRun { id status }
      userErrors { message code }
    }
  }
`);

export const DispatchRunQuery = graphql(`
  query ConsoleDispatchRun($id: ID!) {
    dispatchRun(id: $id) { id status error progress }
  }
`);

export const LocationsSubscription = graphql(`
  subscription ConsoleLocations($bbox: BBoxInput!) {
    technicianLocations(bbox: $bbox) { technicianId location { lat lng } recordedAt }
  }
`);

export const AlertsSubscription = graphql(`
  subscription ConsoleAlerts($territoryId: ID) {
    alerts(territoryId: $territoryId) { kind level message taskId at }
  }
`);

export const TaskUpdatesSubscription = graphql(`
  subscription ConsoleTaskUpdates($territoryId: ID) {
    taskUpdates(territoryId: $territoryId) { toStatus at task { id } }
  }
`);

export const DispatchBoardQuery = graphql(`
  query ConsoleDispatchBoard($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
    dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
      rows {
        technician { id name partner { id name } }
        shifts { start end }
        breaks { start end }
        timeOff { start end reason }
        assignments { taskId start end status pinned task { ...BoardTask } }
        travel { fromTaskId toTaskId depart arrive minutes distanceKm slackMinutes fits }
        idle { start end }
      }
      unassigned { candidateCount task { ...BoardTask } }
    }
  }
`);

export const MoveAssignmentMutation = graphql(`
  mutation ConsoleMoveAssignment($input: MoveAssignmentInput!) {
    moveAssignment(input: $input) {
      applied
      task { id version }
      warnings { code message }
      knockOn { task { id site { name } } start newStart newEnd shiftMinutes late }
      userErrors { message code }
    }
  }
`);

export const PinAssignmentsMutation = graphql(`
  mutation ConsolePinAssignments($input: PinAssignmentsInput!) {
    pinAssignments(input: $input) {
      tasks { pinned task { id } }
      userErrors { message code }
    }
  }
`);

export const DispatchBoardUpdatesSubscription = graphql(`
  subscription ConsoleDispatchBoardUpdates($territoryId: ID!) {
    dispatchBoardUpdates(territoryId: $territoryId) { action pinned at actorName task { id site { name } } }
  }
`);
