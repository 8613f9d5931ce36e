"""The dispatcher and manager console (`console/`, a React app built with Vite), served at
/console as static files: a client of the public GraphQL API only."""
